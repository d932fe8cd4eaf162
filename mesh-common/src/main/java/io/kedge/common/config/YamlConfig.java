package io.kedge.common.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reads YAML documents into records, strictly: unknown keys, wrong types and values rejected by a
 * record's own checks all surface as a {@link ConfigException} naming the key path and the value.
 */
public final class YamlConfig {
    /** Larger documents are refused before parsing: configuration is never this big. */
    public static final long MAX_DOCUMENT_BYTES = 4L * 1024 * 1024;

    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);

    private YamlConfig() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static <T> T load(Path file, Class<T> type) {
        String text;
        try {
            if (Files.size(file) > MAX_DOCUMENT_BYTES) {
                throw new ConfigException("", null, "file is larger than " + MAX_DOCUMENT_BYTES + " bytes").in(file.toString());
            }
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", null, "file does not exist").in(file.toString());
        } catch (IOException e) {
            throw new ConfigException("", null, "cannot read file: " + e.getMessage()).in(file.toString());
        }
        try {
            return parse(text, type);
        } catch (ConfigException e) {
            throw e.in(file.toString());
        }
    }

    public static <T> T parse(String yaml, Class<T> type) {
        if (yaml.length() > MAX_DOCUMENT_BYTES) {
            throw new ConfigException("", null, "document is larger than " + MAX_DOCUMENT_BYTES + " bytes");
        }
        if (yaml.isBlank()) {
            throw new ConfigException("", null, "document is empty");
        }
        try {
            JsonNode tree = MAPPER.readTree(yaml);
            if (tree == null || tree.isNull() || tree.isMissingNode()) {
                throw new ConfigException("", null, "document is empty");
            }
            // Unknown keys first: a misspelt key must be reported as such, not as the missing value
            // that a record's own check would otherwise complain about.
            checkKeys(tree, type, "");
            return MAPPER.treeToValue(tree, type);
        } catch (JsonMappingException e) {
            throw translate(e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(where(e.getLocation()), null, "not valid YAML: " + e.getOriginalMessage());
        }
    }

    /** Rejects keys that do not name a component of the record they are bound to, recursively. */
    static void checkKeys(JsonNode node, Type type, String path) {
        Class<?> raw = rawClass(type);
        if (raw == null) {
            return;
        }
        if (node.isObject() && raw.isRecord()) {
            Map<String, RecordComponent> components = new TreeMap<>();
            for (RecordComponent c : raw.getRecordComponents()) {
                JsonProperty renamed = c.getAnnotation(JsonProperty.class);
                components.put(renamed != null && !renamed.value().isEmpty() ? renamed.value() : c.getName(), c);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String child = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                RecordComponent c = components.get(field.getKey());
                if (c == null) {
                    throw new ConfigException(child, null, "unknown key (known keys here: "
                            + String.join(", ", components.keySet()) + ")");
                }
                checkKeys(field.getValue(), c.getGenericType(), child);
            }
        } else if (node.isArray() && List.class.isAssignableFrom(raw) && type instanceof ParameterizedType p) {
            for (int i = 0; i < node.size(); i++) {
                checkKeys(node.get(i), p.getActualTypeArguments()[0], path + "[" + i + "]");
            }
        } else if (node.isObject() && Map.class.isAssignableFrom(raw) && type instanceof ParameterizedType p) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                checkKeys(field.getValue(), p.getActualTypeArguments()[1],
                        (path.isEmpty() ? "" : path + ".") + field.getKey());
            }
        }
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
            return c;
        }
        return null;
    }

    /** Turns Jackson's mapping error into a key path, a value and a short reason. */
    static ConfigException translate(JsonMappingException e) {
        String path = path(e.getPath());
        Throwable cause = e.getCause();
        if (e instanceof ValueInstantiationException && cause instanceof ConfigException inner) {
            return inner.under(path);
        }
        if (cause instanceof ConfigException inner) {
            return inner.under(path);
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", "));
            return new ConfigException(path, null, "unknown key" + (known.isEmpty() ? "" : " (known keys here: " + known + ")"));
        }
        if (e instanceof InvalidFormatException f) {
            String expected = f.getTargetType() != null && f.getTargetType().isEnum()
                    ? "one of " + List.of(f.getTargetType().getEnumConstants()).stream().map(String::valueOf).collect(Collectors.joining(", "))
                    : "a value of type " + simpleType(f.getTargetType());
            return new ConfigException(path, f.getValue(), "expected " + expected);
        }
        if (e instanceof MismatchedInputException m) {
            return new ConfigException(path, null, "expected " + simpleType(m.getTargetType()) + " here");
        }
        return new ConfigException(path, null, e.getOriginalMessage());
    }

    static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : refs) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String simpleType(Class<?> type) {
        if (type == null) {
            return "a different value";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type.isRecord() || !type.getName().startsWith("java.")) {
            return "a mapping";
        }
        return type.getSimpleName();
    }

    private static String where(JsonLocation location) {
        return location == null ? "" : "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }
}
