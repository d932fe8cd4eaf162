package io.kedge.common.kubeapi.server;

import static io.kedge.common.kubeapi.Json.node;
import static io.kedge.common.kubeapi.Json.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.kedge.common.kubeapi.BuiltinTypes;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.ResourceTypes;
import io.kedge.common.kubeapi.WriteOptions;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import io.kedge.common.kubeapi.store.StoreJournal;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP layer over an in-memory store, spoken to with a plain HTTP client on 127.0.0.1. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubeApiServerTest {
    private static final String SERVICE = """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
             "spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}""";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private MemoryResourceStore store;
    private KubeApiServer server;
    private String base;
    private volatile String notReady;

    @BeforeEach
    void start() throws Exception {
        store = new MemoryResourceStore(MemoryResourceStore.Options.DEFAULT.withEventWindow(50), StoreJournal.NONE);
        server = KubeApiServer.builder(store, ResourceTypes.builtins()).metrics(registry).maxBodyBytes(64 * 1024)
                .bookmarkInterval(Duration.ofMillis(300)).readiness(() -> notReady).start();
        base = server.url();
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    record Answer(int code, JsonNode body, String contentType) {
    }

    private Answer call(String method, String path, String contentType, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        String type = r.headers().firstValue("Content-Type").orElse("");
        JsonNode parsed = type.startsWith("application/json") ? KubeObjects.JSON.readTree(r.body()) : KubeObjects.JSON.getNodeFactory().textNode(r.body());
        return new Answer(r.statusCode(), parsed, type);
    }

    private Answer get(String path, String... headers) throws Exception {
        return call("GET", path, null, null, headers);
    }

    private Answer post(String path, String json) throws Exception {
        return call("POST", path, "application/json", json);
    }

    private static void assertStatus(Answer a, int code, String reason) {
        assertThat(a.code()).as(a.body().toString()).isEqualTo(code);
        assertThat(a.body().path("kind").asText()).isEqualTo("Status");
        assertThat(a.body().path("status").asText()).isEqualTo("Failure");
        assertThat(a.body().path("reason").asText()).isEqualTo(reason);
        assertThat(a.body().path("code").asInt()).isEqualTo(code);
    }

    @Test
    void discoveryDescribesEveryRegisteredType() throws Exception {
        assertThat(get("/api").body().path("versions")).isEqualTo(node("['v1']"));
        JsonNode groups = get("/apis").body().path("groups");
        assertThat(groups.findValuesAsText("name")).contains("discovery.k8s.io", "devices.kubeedge.io", "networking.istio.io");
        JsonNode core = get("/api/v1").body();
        assertThat(core.path("groupVersion").asText()).isEqualTo("v1");
        assertThat(core.path("resources").findValuesAsText("name")).contains("namespaces", "namespaces/status", "services",
                "endpoints", "pods", "pods/status", "nodes", "configmaps", "secrets");
        JsonNode ns = findResource(core, "namespaces");
        assertThat(ns.path("namespaced").asBoolean()).isFalse();
        assertThat(ns.path("shortNames")).isEqualTo(node("['ns']"));
        JsonNode istio = get("/apis/networking.istio.io").body();
        assertThat(istio.path("preferredVersion").path("version").asText()).isEqualTo("v1");
        assertThat(istio.path("versions").findValuesAsText("version")).containsExactly("v1", "v1beta1");
        assertThat(findResource(get("/apis/devices.kubeedge.io/v1beta1").body(), "devices").path("kind").asText()).isEqualTo("Device");
        assertStatus(get("/apis/nothing.example.com/v1"), 404, "NotFound");

        Answer aggregated = get("/apis", "Accept",
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        assertThat(aggregated.contentType()).isEqualTo(Representation.AGGREGATED_DISCOVERY_TYPE);
        assertThat(aggregated.body().path("items").findValuesAsText("resource")).contains("endpointslices", "devices", "destinationrules");
        JsonNode coreAggregated = get("/api", "Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").body();
        assertThat(coreAggregated.path("items").get(0).path("versions").get(0).path("resources").findValuesAsText("subresource"))
                .contains("status");
    }

    /** metadata.name of each item of a list answer. */
    private static List<String> names(JsonNode list) {
        List<String> names = new java.util.ArrayList<>();
        list.path("items").forEach(i -> names.add(i.at("/metadata/name").asText()));
        return names;
    }

    private static JsonNode findResource(JsonNode list, String name) {
        for (JsonNode r : list.path("resources")) {
            if (r.path("name").asText().equals(name)) {
                return r;
            }
        }
        throw new AssertionError(name + " not in " + list);
    }

    @Test
    void healthVersionAndOpenApi() throws Exception {
        assertThat(get("/healthz").code()).isEqualTo(200);
        assertThat(get("/livez").code()).isEqualTo(200);
        assertThat(get("/readyz").code()).isEqualTo(200);
        notReady = "store not loaded";
        Answer readyz = get("/readyz");
        assertThat(readyz.code()).isEqualTo(503);
        assertThat(readyz.body().asText()).contains("store not loaded");
        JsonNode version = get("/version").body();
        assertThat(version.path("major").asText()).isEqualTo("1");
        assertThat(version.path("gitVersion").asText()).startsWith("v1.");
        JsonNode index = get("/openapi/v3").body().path("paths");
        assertThat(index.has("api/v1")).isTrue();
        String docUrl = index.path("apis/devices.kubeedge.io/v1beta1").path("serverRelativeURL").asText();
        JsonNode doc = get(docUrl).body();
        JsonNode patch = doc.path("paths").path("/apis/devices.kubeedge.io/v1beta1/namespaces/{namespace}/devices/{name}").path("patch");
        assertThat(patch.path("parameters").findValuesAsText("name")).contains("fieldValidation");
        assertThat(patch.path("x-kubernetes-group-version-kind").path("kind").asText()).isEqualTo("Device");
        assertThat(patch.path("requestBody").path("content").has("application/strategic-merge-patch+json")).isFalse();

        // kubectl before 1.27 validates manifests against /openapi/v2, which it asks for in protobuf.
        Answer v2 = get("/openapi/v2", "Accept", "application/json");
        assertThat(v2.code()).isEqualTo(200);
        assertThat(v2.body().path("swagger").asText()).isEqualTo("2.0");
        assertThat(v2.body().at("/definitions/io.k8s.api.core.v1.Service/x-kubernetes-group-version-kind/0/kind").asText())
                .isEqualTo("Service");
        Answer protobuf = get("/openapi/v2", "Accept", OpenApiV2.PROTOBUF_TYPE + ", application/json");
        assertThat(protobuf.code()).isEqualTo(200);
        assertThat(protobuf.contentType()).isEqualTo("application/octet-stream");
        assertThat(protobuf.body().asText()).contains("io.k8s.api.core.v1.Service", "x-kubernetes-group-version-kind");
        assertStatus(get("/openapi/v2", "Accept", "text/html"), 406, "NotAcceptable");
        assertStatus(get("/openapi/v1"), 404, "NotFound");
    }

    @Test
    void crudWithStatusObjectsForEveryError() throws Exception {
        Answer created = post("/api/v1/namespaces/default/services", SERVICE);
        assertThat(created.code()).isEqualTo(201);
        String rv = created.body().at("/metadata/resourceVersion").asText();
        assertStatus(post("/api/v1/namespaces/default/services", SERVICE), 409, "AlreadyExists");

        Answer got = get("/api/v1/namespaces/default/services/web");
        assertThat(got.body()).isEqualTo(created.body());

        String stale = created.body().toString().replace("\"port\":80", "\"port\":81");
        Answer updated = call("PUT", "/api/v1/namespaces/default/services/web", "application/json", stale);
        assertThat(updated.code()).isEqualTo(200);
        assertThat(updated.body().at("/spec/ports/0/port").asInt()).isEqualTo(81);
        Answer conflict = call("PUT", "/api/v1/namespaces/default/services/web", "application/json", stale);
        assertStatus(conflict, 409, "Conflict");
        assertThat(conflict.body().at("/details/name").asText()).isEqualTo("web");
        assertThat(conflict.body().path("message").asText()).contains(rv.isEmpty() ? "" : "the object has been modified");

        Answer patched = call("PATCH", "/api/v1/namespaces/default/services/web", "application/merge-patch+json",
                "{\"metadata\":{\"labels\":{\"tier\":\"front\"}}}");
        assertThat(patched.body().at("/metadata/labels/tier").asText()).isEqualTo("front");
        Answer strategic = call("PATCH", "/api/v1/namespaces/default/services/web", "application/strategic-merge-patch+json",
                "{\"spec\":{\"ports\":[{\"port\":443,\"name\":\"https\"}]}}");
        assertThat(strategic.body().at("/spec/ports").findValuesAsText("port")).containsExactlyInAnyOrder("81", "443");

        Answer deleted = call("DELETE", "/api/v1/namespaces/default/services/web", null, null);
        assertThat(deleted.code()).isEqualTo(200);
        Answer missing = get("/api/v1/namespaces/default/services/web");
        assertStatus(missing, 404, "NotFound");
        assertThat(missing.body().path("message").asText()).isEqualTo("services \"web\" not found");
        assertThat(missing.body().at("/details/kind").asText()).isEqualTo("services");
        assertStatus(get("/api/v1/namespaces/default/widgets"), 404, "NotFound");
        assertStatus(call("POST", "/api/v1/namespaces/default/services/web", "application/json", SERVICE), 405, "MethodNotAllowed");
    }

    @Test
    void namespacesPluraliseAndRouteLikeKubernetes() throws Exception {
        // kubeedge#4471: the namespace resource itself must be reachable by its plural.
        Answer ns = get("/api/v1/namespaces/default");
        assertThat(ns.body().path("kind").asText()).isEqualTo("Namespace");
        assertThat(names(get("/api/v1/namespaces").body()))
                .contains("default", "kube-system", "kube-public", "kube-node-lease");
        assertThat(get("/api/v1/namespaces/default/status").body().at("/status/phase").asText()).isEqualTo("Active");
        assertThat(post("/api/v1/namespaces", "{\"metadata\":{\"name\":\"shop\"}}").code()).isEqualTo(201);
        assertThat(post("/api/v1/namespaces/shop/configmaps", "{\"metadata\":{\"name\":\"c\"}}").code()).isEqualTo(201);
        assertThat(get("/api/v1/configmaps").body().path("items").findValuesAsText("namespace")).containsExactly("shop");
        assertStatus(post("/api/v1/namespaces/nowhere/configmaps", "{\"metadata\":{\"name\":\"c\"}}"), 404, "NotFound");
        assertStatus(get("/api/v1/pods/x"), 404, "NotFound");
    }

    @Test
    void aRequestRefusedBeforeItsBodyArrivedLeavesTheConnectionUsable() throws Exception {
        URI uri = URI.create(base);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            // Refused on its Content-Type alone (415), while its body is still on the way.
            out.write(("PATCH /api/v1/namespaces/default/services/web HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300);
            out.write("{}".getBytes(StandardCharsets.US_ASCII));
            out.write("GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buf = new byte[8192];
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (!seen.toString().contains("NamespaceList") && System.nanoTime() < deadline) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            assertThat(seen.toString()).startsWith("HTTP/1.1 415").contains("HTTP/1.1 200").contains("NamespaceList")
                    .doesNotContainIgnoringCase("connection: close");
        }
    }

    @Test
    void malformedBodiesAreRefusedAndChangeNothing() throws Exception {
        post("/api/v1/namespaces/default/services", SERVICE);
        JsonNode before = get("/api/v1/services").body().path("items");
        long version = store.resourceVersion();
        String path = "/api/v1/namespaces/default/services";
        String named = path + "/web";
        assertStatus(post(path, "{\"metadata\":{\"name\":"), 400, "BadRequest");
        assertStatus(post(path, "[1,2,3]"), 400, "BadRequest");
        assertStatus(post(path, "{\"metadata\":{\"name\":\"a\",\"name\":\"b\"}}"), 400, "BadRequest");
        assertStatus(post(path, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}"), 400, "BadRequest");
        assertStatus(post(path, "{\"apiVersion\":\"v2\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\"}}"), 400, "BadRequest");
        assertStatus(post(path, "{\"metadata\":{\"name\":\"x\",\"namespace\":\"other\"}}"), 400, "BadRequest");
        assertStatus(post(path, ""), 400, "BadRequest");
        assertStatus(call("POST", path, "application/yaml", "metadata: {name: [unclosed"), 400, "BadRequest");
        assertStatus(call("POST", path, "application/yaml", "metadata: {name: a}\n---\nmetadata: {name: b}\n"), 400, "BadRequest");
        assertStatus(call("POST", path, "application/vnd.kubernetes.protobuf", "\u0000k8s"), 415, "UnsupportedMediaType");
        assertStatus(call("PUT", named, "application/json", "{\"metadata\":{\"name\":\"other\"}}"), 400, "BadRequest");
        assertStatus(call("PATCH", named, "application/json", "{}"), 415, "UnsupportedMediaType");
        assertStatus(call("PATCH", named, "application/merge-patch+json", "{\"spec\":"), 400, "BadRequest");
        assertStatus(call("PATCH", named, "application/json-patch+json", "[{\"op\":\"remove\",\"path\":\"/nope\"}]"), 422, "Invalid");
        assertStatus(call("PATCH", named, "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"bad key!\":\"x\"}}}"),
                422, "Invalid");
        String huge = "{\"metadata\":{\"name\":\"big\"},\"data\":{\"x\":\"" + "a".repeat(70 * 1024) + "\"}}";
        assertStatus(post("/api/v1/namespaces/default/configmaps", huge), 413, "RequestEntityTooLarge");
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertStatus(post(path, deep), 400, "BadRequest");
        assertStatus(get(path + "?labelSelector=app%20in%20(web"), 400, "BadRequest");
        assertStatus(get(path + "?fieldSelector=spec.nodeName%3Dx"), 400, "BadRequest");
        assertStatus(get(path + "?limit=-1"), 400, "BadRequest");
        assertStatus(get(path + "?continue=%25%25garbage"), 400, "BadRequest");
        assertStatus(call("DELETE", named + "?propagationPolicy=Sideways", null, null), 400, "BadRequest");

        assertThat(store.resourceVersion()).isEqualTo(version);
        assertThat(get("/api/v1/services").body().path("items")).isEqualTo(before);
    }

    @Test
    void yamlBodiesAreAccepted() throws Exception {
        Answer a = call("POST", "/api/v1/namespaces/default/configmaps", "application/yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: from-yaml
                data:
                  key: value
                """);
        assertThat(a.code()).isEqualTo(201);
        assertThat(a.body().at("/data/key").asText()).isEqualTo("value");
    }

    @Test
    void listsFilterPaginateAndCheckVersions() throws Exception {
        for (int i = 0; i < 5; i++) {
            post("/api/v1/namespaces/default/pods", "{\"metadata\":{\"name\":\"p" + i + "\",\"labels\":{\"n\":\"" + (i % 2) + "\"}},"
                    + "\"spec\":{\"nodeName\":\"node" + (i % 2) + "\",\"containers\":[{\"name\":\"c\"}]}}");
        }
        JsonNode odd = get("/api/v1/pods?labelSelector=n%3D1").body();
        assertThat(odd.path("kind").asText()).isEqualTo("PodList");
        assertThat(names(odd)).containsExactly("p1", "p3");
        assertThat(names(get("/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dnode0").body())).containsExactly("p0", "p2", "p4");

        JsonNode page1 = get("/api/v1/pods?limit=2").body();
        assertThat(names(page1)).containsExactly("p0", "p1");
        assertThat(page1.at("/metadata/remainingItemCount").asInt()).isEqualTo(3);
        String token = page1.at("/metadata/continue").asText();
        JsonNode page2 = get("/api/v1/pods?limit=2&continue=" + token).body();
        assertThat(names(page2)).containsExactly("p2", "p3");
        assertThat(page2.at("/metadata/resourceVersion").asText()).isEqualTo(page1.at("/metadata/resourceVersion").asText());
        JsonNode page3 = get("/api/v1/pods?limit=2&continue=" + page2.at("/metadata/continue").asText()).body();
        assertThat(names(page3)).containsExactly("p4");
        assertThat(page3.at("/metadata/continue").isMissingNode()).isTrue();

        long now = store.resourceVersion();
        assertThat(get("/api/v1/pods?resourceVersion=0").code()).isEqualTo(200);
        assertThat(get("/api/v1/pods?resourceVersion=" + now + "&resourceVersionMatch=Exact").code()).isEqualTo(200);
        assertStatus(get("/api/v1/pods?resourceVersion=" + (now - 1) + "&resourceVersionMatch=Exact"), 410, "Expired");
        Answer tooNew = get("/api/v1/pods?resourceVersion=" + (now + 10) + "&resourceVersionMatch=NotOlderThan");
        assertStatus(tooNew, 504, "Timeout");
        assertThat(tooNew.body().at("/details/causes/0/reason").asText()).isEqualTo("ResourceVersionTooLarge");
        assertStatus(get("/api/v1/pods?resourceVersionMatch=Exact"), 400, "BadRequest");
    }

    @Test
    void tablesForKubectlGet() throws Exception {
        post("/api/v1/namespaces/default/services", SERVICE);
        String accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        JsonNode table = get("/api/v1/namespaces/default/services", "Accept", accept).body();
        assertThat(table.path("kind").asText()).isEqualTo("Table");
        assertThat(table.path("columnDefinitions").findValuesAsText("name"))
                .containsExactly("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Selector", "Age");
        JsonNode row = table.path("rows").get(0);
        assertThat(row.path("cells").get(0).asText()).isEqualTo("web");
        assertThat(row.path("cells").get(1).asText()).isEqualTo("ClusterIP");
        assertThat(row.path("cells").get(4).asText()).isEqualTo("80/TCP");
        assertThat(row.at("/object/kind").asText()).isEqualTo("PartialObjectMetadata");
        JsonNode single = get("/api/v1/namespaces/default/services/web?includeObject=Object", "Accept", accept).body();
        assertThat(single.at("/rows/0/object/kind").asText()).isEqualTo("Service");
        JsonNode meta = get("/api/v1/services", "Accept", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io").body();
        assertThat(meta.path("kind").asText()).isEqualTo("PartialObjectMetadataList");
        assertThat(meta.at("/items/0/spec").isMissingNode()).isTrue();
        assertStatus(get("/api/v1/services", "Accept", "application/vnd.kubernetes.protobuf"), 406, "NotAcceptable");
    }

    /** Reads a watch stream line by line in the background. */
    private final class WatchReader implements AutoCloseable {
        final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
        final InputStream body;
        final Thread reader;
        volatile boolean ended;

        WatchReader(String path) throws Exception {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            body = r.body();
            reader = new Thread(() -> {
                try (Stream<String> lines = new java.io.BufferedReader(new java.io.InputStreamReader(body, StandardCharsets.UTF_8)).lines()) {
                    lines.forEach(l -> events.add(parse(l)));
                } catch (RuntimeException e) {
                    // the stream was closed by the test
                }
                ended = true;
            }, "watch-reader");
            reader.setDaemon(true);
            reader.start();
        }

        JsonNode next() throws InterruptedException {
            JsonNode e = events.poll(10, TimeUnit.SECONDS);
            assertThat(e).as("a watch event within 10 s").isNotNull();
            return e;
        }

        /** The next event that is not a bookmark. */
        JsonNode nextChange() throws InterruptedException {
            JsonNode e = next();
            while (e.path("type").asText().equals("BOOKMARK")) {
                e = next();
            }
            return e;
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    private static JsonNode parse(String line) {
        try {
            return KubeObjects.JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    private static String summary(JsonNode event) {
        return event.path("type").asText() + " " + event.at("/object/metadata/name").asText();
    }

    @Test
    void watchStreamsEventsAsTheyHappen() throws Exception {
        post("/api/v1/namespaces/default/services", SERVICE);
        // kubeedge#4699: a plain HTTP client (curl) must see events, not an empty answer.
        try (WatchReader w = new WatchReader("/api/v1/namespaces/default/services?watch=true")) {
            assertThat(summary(w.next())).isEqualTo("ADDED web");
            call("PATCH", "/api/v1/namespaces/default/services/web", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}");
            JsonNode modified = w.next();
            assertThat(summary(modified)).isEqualTo("MODIFIED web");
            assertThat(modified.at("/object/metadata/labels/x").asText()).isEqualTo("1");
            call("DELETE", "/api/v1/namespaces/default/services/web", null, null);
            assertThat(summary(w.next())).isEqualTo("DELETED web");
        }
    }

    @Test
    void selectorWatchesSeeObjectsEnterAndLeave() throws Exception {
        String rv = post("/api/v1/namespaces/default/services", SERVICE).body().at("/metadata/resourceVersion").asText();
        try (WatchReader w = new WatchReader("/api/v1/services?watch=1&labelSelector=tier%3Dfront&resourceVersion=" + rv)) {
            call("PATCH", "/api/v1/namespaces/default/services/web", "application/merge-patch+json",
                    "{\"metadata\":{\"labels\":{\"tier\":\"front\"}}}");
            assertThat(summary(w.next())).isEqualTo("ADDED web");
            call("PATCH", "/api/v1/namespaces/default/services/web", "application/merge-patch+json", "{\"spec\":{\"clusterIP\":\"198.18.0.4\"}}");
            assertThat(summary(w.next())).isEqualTo("MODIFIED web");
            call("PATCH", "/api/v1/namespaces/default/services/web", "application/merge-patch+json",
                    "{\"metadata\":{\"labels\":{\"tier\":null}}}");
            assertThat(summary(w.next())).isEqualTo("DELETED web");
        }
    }

    @Test
    void bookmarksTimeoutsAndInitialEvents() throws Exception {
        post("/api/v1/namespaces/default/services", SERVICE);
        try (WatchReader w = new WatchReader("/api/v1/services?watch=true&allowWatchBookmarks=true&timeoutSeconds=2"
                + "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan")) {
            assertThat(summary(w.next())).isEqualTo("ADDED web");
            JsonNode end = w.next();
            assertThat(end.path("type").asText()).isEqualTo("BOOKMARK");
            assertThat(end.at("/object/metadata/annotations/k8s.io~1initial-events-end").asText()).isEqualTo("true");
            JsonNode periodic = w.next();
            assertThat(periodic.path("type").asText()).isEqualTo("BOOKMARK");
            assertThat(periodic.at("/object/kind").asText()).isEqualTo("Service");
            assertThat(periodic.at("/object/metadata/resourceVersion").asLong()).isEqualTo(store.resourceVersion());
            await().atMost(Duration.ofSeconds(15)).until(() -> w.ended);
        }
        assertThat(gauge("kedge_apiserver_watches")).isZero();
    }

    @Test
    void aWatchFromBeyondTheWindowGetsAnErrorEvent() throws Exception {
        long start = store.resourceVersion();
        for (int i = 0; i < 60; i++) {
            store.create(BuiltinTypes.CONFIGMAPS, object("{'metadata':{'name':'c" + i + "','namespace':'default'}}"), WriteOptions.DEFAULT);
        }
        try (WatchReader w = new WatchReader("/api/v1/configmaps?watch=true&resourceVersion=" + start)) {
            JsonNode error = w.next();
            assertThat(error.path("type").asText()).isEqualTo("ERROR");
            assertThat(error.at("/object/code").asInt()).isEqualTo(410);
            assertThat(error.at("/object/reason").asText()).isEqualTo("Expired");
            await().atMost(Duration.ofSeconds(10)).until(() -> w.ended);
        }
    }

    @Test
    void tableWatchesCarryRows() throws Exception {
        post("/api/v1/namespaces/default/services", SERVICE);
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/services?watch=true&timeoutSeconds=2"))
                .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            JsonNode event = parse(lines.get(0));
            assertThat(event.at("/object/kind").asText()).isEqualTo("Table");
            assertThat(event.at("/object/rows/0/cells/0").asText()).isEqualTo("web");
        }
    }

    @Test
    void deleteCollectionHonoursSelectors() throws Exception {
        post("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"a\",\"labels\":{\"drop\":\"yes\"}}}");
        post("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"b\"}}");
        Answer deleted = call("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=drop%3Dyes", null, null);
        assertThat(names(deleted.body())).containsExactly("a");
        assertThat(names(get("/api/v1/configmaps").body())).containsExactly("b");
        assertStatus(call("DELETE", "/api/v1/namespaces", null, null), 405, "MethodNotAllowed");
    }

    @Test
    void deleteOptionsPreconditionsAndDryRun() throws Exception {
        Answer created = post("/api/v1/namespaces/default/services", SERVICE);
        assertStatus(call("DELETE", "/api/v1/namespaces/default/services/web", "application/json",
                "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"uid\":\"not-it\"}}"), 409, "Conflict");
        Answer dry = call("DELETE", "/api/v1/namespaces/default/services/web?dryRun=All", null, null);
        assertThat(dry.code()).isEqualTo(200);
        assertThat(get("/api/v1/namespaces/default/services/web").code()).isEqualTo(200);
        Answer real = call("DELETE", "/api/v1/namespaces/default/services/web", "application/json",
                "{\"propagationPolicy\":\"Foreground\",\"preconditions\":{\"uid\":\"" + created.body().at("/metadata/uid").asText() + "\"}}");
        assertThat(real.code()).isEqualTo(200);
        assertThat(get("/api/v1/namespaces/default/services/web").code()).isEqualTo(404);
    }

    @Test
    void statusSubresourceAndServerSideApply() throws Exception {
        post("/api/v1/namespaces/default/pods", "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}");
        Answer status = call("PATCH", "/api/v1/namespaces/default/pods/p/status", "application/merge-patch+json",
                "{\"status\":{\"podIP\":\"100.64.1.9\"},\"spec\":{\"nodeName\":\"ignored\"}}");
        assertThat(status.body().at("/status/podIP").asText()).isEqualTo("100.64.1.9");
        assertThat(status.body().at("/spec/nodeName").isMissingNode()).isTrue();
        assertStatus(get("/api/v1/namespaces/default/configmaps/x/status"), 404, "NotFound");

        String applied = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: \"1\"\n";
        assertStatus(call("PATCH", "/api/v1/namespaces/default/configmaps/applied", "application/apply-patch+yaml", applied),
                400, "BadRequest");
        Answer first = call("PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=test", "application/apply-patch+yaml", applied);
        assertThat(first.code()).isEqualTo(201);
        Answer second = call("PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=test", "application/apply-patch+yaml",
                applied.replace("\"1\"", "\"2\""));
        assertThat(second.code()).isEqualTo(200);
        assertThat(second.body().at("/data/a").asText()).isEqualTo("2");
    }

    @Test
    void otherVersionsOfAResourceShareObjects() throws Exception {
        Answer created = post("/apis/networking.istio.io/v1beta1/namespaces/default/destinationrules",
                "{\"apiVersion\":\"networking.istio.io/v1beta1\",\"kind\":\"DestinationRule\",\"metadata\":{\"name\":\"dr\"},"
                        + "\"spec\":{\"host\":\"web\"}}");
        assertThat(created.code()).isEqualTo(201);
        JsonNode v1 = get("/apis/networking.istio.io/v1/namespaces/default/destinationrules/dr").body();
        assertThat(v1.path("apiVersion").asText()).isEqualTo("networking.istio.io/v1");
        assertThat(v1.at("/spec/host").asText()).isEqualTo("web");
    }

    @Test
    void metricsCountRequestsByVerbAndCode() throws Exception {
        get("/api/v1/namespaces/default/services/none");
        post("/api/v1/namespaces/default/services", SERVICE);
        assertThat(counter("get", "services", "404")).isEqualTo(1);
        assertThat(counter("create", "services", "201")).isEqualTo(1);
    }

    private double counter(String verb, String resource, String code) {
        return registry.scrape().stream().filter(m -> m.getMetadata().getName().equals("kedge_apiserver_requests"))
                .flatMap(m -> ((CounterSnapshot) m).getDataPoints().stream())
                .filter(d -> d.getLabels().get("verb").equals(verb) && d.getLabels().get("resource").equals(resource)
                        && d.getLabels().get("code").equals(code))
                .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }

    private double gauge(String name) {
        return registry.scrape().stream().filter(m -> m.getMetadata().getName().equals(name))
                .flatMap(m -> m.getDataPoints().stream())
                .mapToDouble(d -> ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot) d).getValue()).sum();
    }

    @Test
    void bearerTokensGuardEverythingButHealthAndVersion() throws Exception {
        server.close();
        server = KubeApiServer.builder(store, ResourceTypes.builtins()).bearerTokens(Set.of("s3cret")).start();
        base = server.url();
        assertStatus(get("/api/v1/services"), 401, "Unauthorized");
        assertStatus(get("/api/v1/services", "Authorization", "Bearer wrong"), 401, "Unauthorized");
        assertThat(get("/api/v1/services", "Authorization", "Bearer s3cret").code()).isEqualTo(200);
        assertThat(get("/healthz").code()).isEqualTo(200);
        assertThat(get("/version").code()).isEqualTo(200);
    }

    @Test
    void servesTls(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
                "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=kubeapi-test",
                "-ext", "SAN=IP:127.0.0.1", "-validity", "2").redirectErrorStream(true).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        server.close();
        server = KubeApiServer.builder(store, ResourceTypes.builtins()).tls(ks, "changeit".toCharArray()).start();
        assertThat(server.url()).startsWith("https://127.0.0.1:");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
        HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/namespaces/default")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(KubeObjects.JSON.readTree(r.body()).path("kind").asText()).isEqualTo("Namespace");
    }

    @Test
    void humanAges() {
        assertThat(Renderer.humanDuration(Duration.ofSeconds(5))).isEqualTo("5s");
        assertThat(Renderer.humanDuration(Duration.ofSeconds(200))).isEqualTo("3m20s");
        assertThat(Renderer.humanDuration(Duration.ofMinutes(45))).isEqualTo("45m");
        assertThat(Renderer.humanDuration(Duration.ofMinutes(150))).isEqualTo("150m");
        assertThat(Renderer.humanDuration(Duration.ofHours(5))).isEqualTo("5h");
        assertThat(Renderer.humanDuration(Duration.ofHours(30))).isEqualTo("30h");
        assertThat(Renderer.humanDuration(Duration.ofHours(50))).isEqualTo("2d2h");
        assertThat(Renderer.humanDuration(Duration.ofDays(40))).isEqualTo("40d");
        assertThat(Renderer.humanDuration(Duration.ofDays(800))).isEqualTo("2y70d");
    }
}
