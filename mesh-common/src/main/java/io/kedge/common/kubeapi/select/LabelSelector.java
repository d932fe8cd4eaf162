package io.kedge.common.kubeapi.select;

import com.fasterxml.jackson.databind.JsonNode;
import io.kedge.common.kubeapi.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A Kubernetes label selector in its string form, as {@code ?labelSelector=} carries it:
 * {@code a=b}, {@code a==b}, {@code a!=b}, {@code a in (x,y)}, {@code a notin (x)}, {@code a},
 * {@code !a}, {@code a>1}, {@code a<5}, joined by commas (all must hold). The empty selector matches
 * everything.
 */
public final class LabelSelector {
    private static final Pattern KEY = Pattern.compile("([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            + "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    /** The operators of a requirement. */
    public enum Op { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN }

    public record Requirement(String key, Op op, Set<String> values) {
        boolean matches(JsonNode labels) {
            JsonNode v = labels == null ? null : labels.get(key);
            String value = v == null || v.isNull() ? null : v.asText();
            return switch (op) {
                case EQUALS, IN -> value != null && values.contains(value);
                case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
                case EXISTS -> value != null;
                case DOES_NOT_EXIST -> value == null;
                case GREATER_THAN, LESS_THAN -> value != null && compare(value);
            };
        }

        private boolean compare(String value) {
            try {
                long have = Long.parseLong(value);
                long bound = Long.parseLong(values.iterator().next());
                return op == Op.GREATER_THAN ? have > bound : have < bound;
            } catch (NumberFormatException e) {
                return false;
            }
        }
    }

    public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

    private final List<Requirement> requirements;

    private LabelSelector(List<Requirement> requirements) {
        this.requirements = List.copyOf(requirements);
    }

    public List<Requirement> requirements() {
        return requirements;
    }

    public boolean isEmpty() {
        return requirements.isEmpty();
    }

    /** Matches an object's {@code metadata.labels} node (missing or null means no labels). */
    public boolean matches(JsonNode labels) {
        for (Requirement r : requirements) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** A selector requiring every entry of {@code labels} (a Service's {@code spec.selector}). */
    public static LabelSelector ofEquals(Map<String, String> labels) {
        List<Requirement> reqs = new ArrayList<>();
        labels.forEach((k, v) -> reqs.add(new Requirement(k, Op.EQUALS, Set.of(v))));
        return new LabelSelector(reqs);
    }

    /** Parses the string form; a syntax error is a 400 naming the offending part. */
    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            return EVERYTHING;
        }
        Parser p = new Parser(text);
        List<Requirement> reqs = new ArrayList<>();
        do {
            reqs.add(p.requirement());
        } while (p.comma());
        p.end();
        return new LabelSelector(reqs);
    }

    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        Requirement requirement() {
            skip();
            if (peek('!')) {
                i++;
                String key = key();
                return new Requirement(key, Op.DOES_NOT_EXIST, Set.of());
            }
            String key = key();
            skip();
            if (i >= s.length() || s.charAt(i) == ',') {
                return new Requirement(key, Op.EXISTS, Set.of());
            }
            if (s.startsWith("==", i)) {
                i += 2;
                return new Requirement(key, Op.EQUALS, Set.of(value()));
            }
            if (s.startsWith("!=", i)) {
                i += 2;
                return new Requirement(key, Op.NOT_EQUALS, Set.of(value()));
            }
            char c = s.charAt(i);
            if (c == '=' || c == '>' || c == '<') {
                i++;
                String v = value();
                if (c != '=' && !v.matches("-?\\d+")) {
                    throw error("\"" + key + c + v + "\": the value of > and < must be an integer");
                }
                return new Requirement(key, c == '=' ? Op.EQUALS : c == '>' ? Op.GREATER_THAN : Op.LESS_THAN, Set.of(v));
            }
            String word = word();
            if (word.equals("in") || word.equals("notin")) {
                return new Requirement(key, word.equals("in") ? Op.IN : Op.NOT_IN, set());
            }
            throw error("expected an operator after \"" + key + "\" (=, ==, !=, in, notin, >, <)");
        }

        private Set<String> set() {
            skip();
            if (!peek('(')) {
                throw error("expected '(' to open a set of values");
            }
            i++;
            Set<String> values = new TreeSet<>();
            while (true) {
                values.add(value());
                skip();
                if (peek(',')) {
                    i++;
                } else if (peek(')')) {
                    i++;
                    return values;
                } else {
                    throw error("expected ',' or ')' in a set of values");
                }
            }
        }

        private String key() {
            skip();
            int start = i;
            while (i < s.length() && "=!<>,() ".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            String key = s.substring(start, i);
            if (!KEY.matcher(key).matches() || key.length() > 317) {
                throw error("invalid label key \"" + key + "\"");
            }
            return key;
        }

        private String value() {
            skip();
            int start = i;
            while (i < s.length() && "=!<>,() ".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            String v = s.substring(start, i);
            if (!VALUE.matcher(v).matches()) {
                throw error("invalid label value \"" + v + "\"");
            }
            return v;
        }

        private String word() {
            int start = i;
            while (i < s.length() && Character.isLetter(s.charAt(i))) {
                i++;
            }
            return s.substring(start, i);
        }

        boolean comma() {
            skip();
            if (peek(',')) {
                i++;
                return true;
            }
            return false;
        }

        void end() {
            skip();
            if (i < s.length()) {
                throw error("unexpected \"" + s.substring(i) + "\"");
            }
        }

        private boolean peek(char c) {
            return i < s.length() && s.charAt(i) == c;
        }

        private void skip() {
            while (i < s.length() && s.charAt(i) == ' ') {
                i++;
            }
        }

        private ApiException error(String what) {
            return ApiException.badRequest("unable to parse labelSelector \"" + s + "\": " + what);
        }
    }
}
