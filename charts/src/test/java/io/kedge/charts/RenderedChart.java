package io.kedge.charts;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The kedge chart rendered by Helm itself (helm-java: Helm's Go code through JNA) with given values,
 * parsed into fabric8's Kubernetes model, with look-ups the tests share.
 */
final class RenderedChart {
    static final Path CHART = Path.of("kedge").toAbsolutePath();
    static final String RELEASE = "kedge";
    static final String NAMESPACE = "kedge-system";
    /** A supported cluster version (Helm's offline default, 1.20, is below the chart's kubeVersion). */
    static final String KUBE_VERSION = "1.31.0";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    final String manifest;
    final List<HasMetadata> objects;

    private RenderedChart(String manifest) {
        this.manifest = manifest;
        this.objects = parse(manifest);
    }

    /**
     * Renders with {@code values}: dotted paths ({@code agent.admin.port}) to values (numbers, booleans,
     * strings, {@link List}s), given to Helm as a user's values file, with their YAML types.
     */
    static RenderedChart render(Map<String, Object> values) {
        return new RenderedChart(template(values));
    }

    static RenderedChart render(Object... keyValues) {
        return render(pairs(keyValues));
    }

    /** The error Helm reports for values the chart must refuse; fails the test if it renders. */
    static String renderError(Object... keyValues) {
        try {
            template(pairs(keyValues));
        } catch (IllegalStateException e) {
            return String.valueOf(e.getMessage());
        }
        throw new AssertionError("rendering succeeded, expected a failure for " + List.of(keyValues));
    }

    private static String template(Map<String, Object> values) {
        try {
            Path file = Files.createTempFile("kedge-values", ".yaml");
            try {
                YAML.writeValue(file.toFile(), nest(values));
                return new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION)
                        .withValuesFile(file).call();
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {a.b: 1, a.c: 2} to {a: {b: 1, c: 2}}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> nest(Map<String, Object> dotted) {
        Map<String, Object> root = new LinkedHashMap<>();
        dotted.forEach((path, value) -> {
            String[] keys = path.split("\\.");
            Map<String, Object> m = root;
            for (int i = 0; i < keys.length - 1; i++) {
                m = (Map<String, Object>) m.computeIfAbsent(keys[i], k -> new LinkedHashMap<String, Object>());
            }
            m.put(keys[keys.length - 1], value);
        });
        return root;
    }

    /**
     * {@code helm lint --strict}. helm-java's lint takes no values, so overrides are merged into the
     * values.yaml of a copy of the chart.
     */
    static LintResult lint(Object... keyValues) {
        Map<String, Object> overrides = pairs(keyValues);
        if (overrides.isEmpty()) {
            return new Helm(CHART).lint().strict().call();
        }
        try {
            Path copy = Files.createTempDirectory("kedge-chart");
            try {
                copyTree(CHART, copy);
                @SuppressWarnings("unchecked")
                Map<String, Object> values = YAML.readValue(copy.resolve("values.yaml").toFile(), Map.class);
                YAML.writeValue(copy.resolve("values.yaml").toFile(), merge(values, nest(overrides)));
                return new Helm(copy).lint().strict().call();
            } finally {
                deleteTree(copy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code over} merged into {@code base}: maps key by key, anything else replaced. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((k, v) -> out.put(k, v instanceof Map && out.get(k) instanceof Map
                ? merge((Map<String, Object>) out.get(k), (Map<String, Object>) v) : v));
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    private static Map<String, Object> pairs(Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("key/value pairs expected");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static List<HasMetadata> parse(String manifest) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : manifest.split("(?m)^---\\s*$")) {
            boolean empty = doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"));
            if (!empty) {
                out.add(SERIALIZATION.unmarshal(doc, HasMetadata.class));
            }
        }
        return out;
    }

    <T extends HasMetadata> List<T> all(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> kind, String name) {
        return all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name + " in:\n" + names()));
    }

    List<String> names() {
        return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
    }

    /** A ConfigMap's file written to {@code dir}, for a program's own loader to read. */
    Path configFile(String configMap, String key, Path dir) throws IOException {
        ConfigMap cm = get(ConfigMap.class, configMap);
        String text = cm.getData().get(key);
        if (text == null) {
            throw new AssertionError("ConfigMap " + configMap + " has no key " + key + ": " + cm.getData().keySet());
        }
        return Files.writeString(dir.resolve(key), text);
    }

    /**
     * What a container sees at {@code file}: the content of the Secret or ConfigMap key mounted
     * there, following the volume mount, the volume and its items as the kubelet would.
     */
    String mountedFile(PodSpec pod, Container container, String file) {
        VolumeMount mount = container.getVolumeMounts().stream()
                .filter(m -> file.startsWith(m.getMountPath().endsWith("/") ? m.getMountPath() : m.getMountPath() + "/"))
                .findFirst().orElseThrow(() -> new AssertionError(file + " is on no volume mount of " + container.getName()));
        String relative = file.substring(mount.getMountPath().length()).replaceFirst("^/", "");
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
        if (volume.getSecret() != null) {
            String key = keyFor(volume.getSecret().getItems(), relative);
            Secret secret = get(Secret.class, volume.getSecret().getSecretName());
            if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
                return secret.getStringData().get(key);
            }
            String b64 = secret.getData() == null ? null : secret.getData().get(key);
            if (b64 == null) {
                throw new AssertionError("Secret " + secret.getMetadata().getName() + " has no key " + key);
            }
            return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
        }
        if (volume.getConfigMap() != null) {
            String key = keyFor(volume.getConfigMap().getItems(), relative);
            String value = get(ConfigMap.class, volume.getConfigMap().getName()).getData().get(key);
            if (value == null) {
                throw new AssertionError("ConfigMap " + volume.getConfigMap().getName() + " has no key " + key);
            }
            return value;
        }
        throw new AssertionError(file + " is on volume " + volume.getName() + ", neither a Secret nor a ConfigMap");
    }

    /** The key projected at {@code path}: through the items when listed (only those appear), else the path itself. */
    private static String keyFor(List<KeyToPath> items, String path) {
        if (items == null || items.isEmpty()) {
            return path;
        }
        return items.stream().filter(i -> i.getPath().equals(path)).map(KeyToPath::getKey).findFirst()
                .orElseThrow(() -> new AssertionError("no item projects " + path + " (items: " + items + ")"));
    }
}
