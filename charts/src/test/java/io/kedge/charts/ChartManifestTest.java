package io.kedge.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every field the chart writes is one the Kubernetes API knows: fabric8's model keeps unknown fields
 * (a misspelt {@code readOnlyRootFileSystem}, a field at the wrong level) in "additional
 * properties", where the API server would drop or refuse them.
 */
class ChartManifestTest {
    @Test
    void everyFieldOfEveryObjectIsKnownToTheKubernetesModel() {
        RenderedChart chart = RenderedChart.render("cloudcore.enabled", true, "cloudcore.advertiseAddress", List.of("203.0.113.10"),
                "cloudcore.ca.existingSecret", "kedge-ca", "cloudcore.service.type", "NodePort", "cloudcore.service.nodePorts.cloudHub", 30000,
                "agent.meshServers", List.of("198.51.100.7:7443"), "joinToken.value", "join-token-of-24-chars!!",
                "meshServer.turnSecret.value", "turn-secret-of-24-chars!", "meshServer.clientCa.existingSecret", "cluster-ca");
        assertThat(chart.objects).hasSizeGreaterThan(15);
        List<String> unknown = new ArrayList<>();
        for (HasMetadata o : chart.objects) {
            assertThat(o).as("%s/%s is a kind the model types", o.getKind(), o.getMetadata().getName())
                    .isNotInstanceOf(GenericKubernetesResource.class);
            collectUnknown(o, o.getKind() + "/" + o.getMetadata().getName(), unknown, new IdentityHashMap<>());
        }
        assertThat(unknown).isEmpty();
    }

    @Test
    void theCheckFindsAMisspeltField() {
        // The check itself: a field the model does not know is reported with its path.
        String yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                + "    - name: c\n      securityContext: {readOnlyRootFileSystem: true}\n";
        HasMetadata pod = new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal(yaml, HasMetadata.class);
        List<String> unknown = new ArrayList<>();
        collectUnknown(pod, "Pod/p", unknown, new IdentityHashMap<>());
        assertThat(unknown).singleElement().asString().contains("readOnlyRootFileSystem").contains("securityContext");
    }

    /** Walks the model's getters; reports non-empty additionalProperties with where they are. */
    private static void collectUnknown(Object node, String path, List<String> out, Map<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) {
                collectUnknown(item, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> collectUnknown(v, path + "." + k, out, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            if (field.equals("additionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": unknown " + extra.keySet());
                }
            } else {
                collectUnknown(value, path + "." + field, out, seen);
            }
        }
    }
}
