package io.kedge.iptables.save;

import java.util.ArrayList;
import java.util.List;

/**
 * How iptables-save prints and iptables-restore reads the arguments of a rule: words separated by
 * blanks; a double-quoted stretch may hold blanks, and inside it a backslash takes the next character
 * literally ({@code \"} and {@code \\}). Outside quotes a backslash is an ordinary character.
 */
public final class RestoreSyntax {
    private RestoreSyntax() {
    }

    /** Splits the arguments of one line; throws {@link IllegalArgumentException} on an unterminated quote. */
    public static List<String> split(String text) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inToken = false;
        boolean quoted = false;
        boolean escaped = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (escaped) {
                    current.append(c);
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    current.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                inToken = true;
            } else if (c == ' ' || c == '\t') {
                if (inToken) {
                    tokens.add(current.toString());
                    current.setLength(0);
                    inToken = false;
                }
            } else {
                current.append(c);
                inToken = true;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unterminated quote in: " + text);
        }
        if (inToken) {
            tokens.add(current.toString());
        }
        return tokens;
    }

    /** One argument as restore input: bare when it is a plain word, else double-quoted and escaped. */
    public static String quote(String token) {
        checkToken(token);
        if (!token.isEmpty() && token.chars().allMatch(RestoreSyntax::plain)) {
            return token;
        }
        StringBuilder sb = new StringBuilder(token.length() + 2).append('"');
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append('"').toString();
    }

    /** The arguments joined into one line of restore input. */
    public static String join(List<String> tokens) {
        StringBuilder sb = new StringBuilder();
        for (String token : tokens) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(quote(token));
        }
        return sb.toString();
    }

    /**
     * Rejects what cannot be written into restore input: a line break would end the rule early and let
     * the rest be read as a command of its own.
     */
    public static void checkToken(String token) {
        if (token == null) {
            throw new IllegalArgumentException("null rule argument");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '\n' || c == '\r' || c == '\0') {
                throw new IllegalArgumentException("rule argument contains a line break or NUL: \"" + token.replace("\n", "\\n").replace("\r", "\\r").replace("\0", "\\0") + "\"");
            }
        }
    }

    private static boolean plain(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-_.:/,=+@%!*[]".indexOf(c) >= 0;
    }
}
