package io.kedge.cloud.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.kedge.common.kubeapi.KubeObjects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The kubectl installed on this machine, and curl, against a running cloudcore-lite on 127.0.0.1:
 * apply of a multi-document file, get (tables, yaml), get -w, patch, delete, namespaces, a watch
 * through curl, malformed bodies, a valid manifest of every served kind. {@link Kubectl120IT} runs
 * the same scenarios with Debian bookworm's kubectl 1.20, which validates on the client.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KubectlIT {
    /** Made in {@link #start()}: JUnit injects instance @TempDir fields only before each test, too late here. */
    Path dir;
    RunningCloudcore server;

    static final String MANIFEST = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: demo
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              namespace: demo
            spec:
              selector: {app: web}
              ports:
              - name: http
                port: 80
                targetPort: http
              - name: metrics
                port: 9090
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: demo
              labels: {app: web}
            spec:
              nodeName: edge-a1
              containers:
              - name: web
                image: nginx
                ports:
                - {name: http, containerPort: 8080}
            status:
              phase: Running
              podIP: 100.64.1.11
              conditions:
              - {type: Ready, status: "True"}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: demo
            data:
              level: debug
            ---
            apiVersion: devices.kubeedge.io/v1beta1
            kind: DeviceModel
            metadata:
              name: thermometer
              namespace: demo
            spec:
              protocol: modbus
              properties:
              - {name: temperature, type: FLOAT, accessMode: ReadOnly}
            ---
            apiVersion: devices.kubeedge.io/v1beta1
            kind: Device
            metadata:
              name: thermo-1
              namespace: demo
            spec:
              deviceModelRef: {name: thermometer}
              nodeName: edge-a1
              protocol: {protocolName: modbus}
            """;

    record Run(int exit, String out, String err) {
    }

    /** The kubectl binary the scenarios run. */
    String kubectlBinary() {
        return "kubectl";
    }

    /** The minor version of {@link #kubectlBinary()} ("32+" counts as 32). */
    int kubectlMinorVersion() throws Exception {
        Run r = run(List.of(kubectlBinary(), "version", "--client", "-o", "json"));
        String minor = KubeObjects.JSON.readTree(r.out()).path("clientVersion").path("minor").asText();
        return Integer.parseInt(minor.replaceAll("\\D", ""));
    }

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory(getClass().getSimpleName());
        server = new RunningCloudcore(dir.resolve("data"), 0);
        Files.writeString(dir.resolve("kubeconfig"), "");
        Files.writeString(dir.resolve("all.yaml"), MANIFEST);
    }

    @AfterAll
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    List<String> kubectl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(kubectlBinary(), "--server", server.url, "--cache-dir", dir.resolve("cache").toString(),
                "--request-timeout", "20s"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    Run run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("KUBECONFIG", dir.resolve("kubeconfig").toString());
        pb.environment().put("HOME", dir.toString());
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    Run ok(String... args) throws Exception {
        Run r = run(kubectl(args));
        assertThat(r.exit()).as("kubectl %s\nstdout: %s\nstderr: %s", String.join(" ", args), r.out(), r.err()).isZero();
        return r;
    }

    @Test
    @Order(1)
    void applyCreatesEveryKindOfTheFile() throws Exception {
        Run r = ok("apply", "-f", dir.resolve("all.yaml").toString());
        assertThat(r.out()).contains("namespace/demo created", "service/web created", "pod/web-1 created", "configmap/settings created",
                "devicemodel.devices.kubeedge.io/thermometer created", "device.devices.kubeedge.io/thermo-1 created");
        assertThat(r.err()).doesNotContain("warning");
    }

    @Test
    @Order(2)
    void getPrintsTablesAndYaml() throws Exception {
        String services = ok("get", "services", "-n", "demo").out();
        assertThat(services.lines().findFirst().orElseThrow()).contains("NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "AGE");
        assertThat(services).containsPattern("web\\s+ClusterIP\\s+198\\.18\\.0\\.\\d+\\s+<none>\\s+80/TCP,9090/TCP");
        assertThat(ok("get", "pods", "-n", "demo", "-o", "wide").out()).containsPattern("web-1\\s+0/1\\s+Running\\s+0\\s+100\\.64\\.1\\.11\\s+edge-a1");
        assertThat(ok("get", "devices", "-A").out()).containsPattern("demo\\s+thermo-1\\s+thermometer\\s+edge-a1");
        String yaml = ok("get", "configmap", "settings", "-n", "demo", "-o", "yaml").out();
        assertThat(yaml).contains("kind: ConfigMap", "level: debug", "resourceVersion:", "uid:", "creationTimestamp:");
        // The endpoints controller made the slice and the Endpoints for the selector Service.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(ok("get", "endpointslices", "-n", "demo").out()).containsPattern("web-\\w+\\s+IPv4\\s+8080,9090\\s+100\\.64\\.1\\.11"));
        assertThat(ok("get", "endpoints", "web", "-n", "demo").out()).contains("100.64.1.11:8080");
    }

    @Test
    @Order(3)
    void namespacesPluraliseCorrectly() throws Exception {
        // kubeedge#4471.
        assertThat(ok("get", "namespaces").out()).contains("default", "kube-system", "demo");
        assertThat(ok("get", "ns", "demo", "-o", "name").out().trim()).isEqualTo("namespace/demo");
        assertThat(ok("get", "namespace", "kube-system", "-o", "jsonpath={.status.phase}").out()).isEqualTo("Active");
    }

    @Test
    @Order(4)
    void getWatchShowsWhatAnotherClientChanges() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(kubectl("get", "configmaps", "-n", "demo", "-w", "--output-watch-events"));
        pb.environment().put("KUBECONFIG", dir.resolve("kubeconfig").toString());
        Path out = dir.resolve("watch.txt");
        Process watch = pb.redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(out).contains("settings"));
            // The other clients: curl creates and deletes, kubectl patches.
            curl("POST", "/api/v1/namespaces/demo/configmaps", "{\"metadata\":{\"name\":\"extra\"},\"data\":{\"a\":\"1\"}}", "201");
            ok("patch", "configmap", "settings", "-n", "demo", "--type=merge", "-p", "{\"data\":{\"level\":\"info\"}}");
            curl("DELETE", "/api/v1/namespaces/demo/configmaps/extra", null, "200");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                List<String> lines = Files.readString(out).lines().toList();
                assertThat(lines).anyMatch(l -> l.matches("ADDED\\s+extra.*"));
                assertThat(lines).anyMatch(l -> l.matches("MODIFIED\\s+settings.*"));
                assertThat(lines).anyMatch(l -> l.matches("DELETED\\s+extra.*"));
            });
        } finally {
            watch.destroy();
            watch.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(5)
    void patchAndReapply() throws Exception {
        ok("patch", "service", "web", "-n", "demo", "-p", "{\"metadata\":{\"labels\":{\"tier\":\"front\"}}}");
        ok("patch", "device", "thermo-1", "-n", "demo", "--type=merge", "-p", "{\"spec\":{\"nodeName\":\"edge-b1\"}}");
        assertThat(ok("get", "device", "thermo-1", "-n", "demo", "-o", "jsonpath={.spec.nodeName}").out()).isEqualTo("edge-b1");
        Run strategic = run(kubectl("patch", "device", "thermo-1", "-n", "demo", "-p", "{\"spec\":{}}"));
        assertThat(strategic.exit()).as("strategic merge is refused for devices, as for custom resources").isNotZero();
        // kubectl since 1.2x rewrites the server's 415 into its own words; 1.20 prints the server's.
        assertThat(strategic.err()).containsPattern("strategic[- ]merge[- ]patch(\\+json)? is not supported");

        // Drop the metrics port from the file and apply again: kubectl's three-way strategic merge removes it.
        Files.writeString(dir.resolve("all.yaml"), MANIFEST.replace("  - name: metrics\n    port: 9090\n", ""));
        ok("apply", "-f", dir.resolve("all.yaml").toString());
        assertThat(ok("get", "service", "web", "-n", "demo", "-o", "jsonpath={.spec.ports[*].port}").out()).isEqualTo("80");
        assertThat(ok("get", "service", "web", "-n", "demo", "-o", "jsonpath={.metadata.labels.tier}").out())
                .as("what apply never owned stays").isEqualTo("front");
    }

    @Test
    @Order(6)
    void curlWatchReturnsEvents() throws Exception {
        // kubeedge#4699: watching with curl must stream events.
        Run r = run(List.of("curl", "-sN", "--max-time", "3", server.url + "/api/v1/namespaces/demo/configmaps?watch=true"));
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            events.add(KubeObjects.JSON.readTree(line));
        }
        assertThat(events).extracting(e -> e.path("type").asText() + " " + e.at("/object/metadata/name").asText())
                .contains("ADDED settings");
    }

    @Test
    @Order(7)
    void malformedBodiesGetAStatusAndChangeNothing() throws Exception {
        String before = ok("get", "configmaps", "-n", "demo", "-o", "json").out();
        long version = server.cloudcore.standalone().store().resourceVersion();
        Run bad = run(List.of("curl", "-s", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
                "--data-binary", "{\"metadata\":{\"name\":\"x\"", server.url + "/api/v1/namespaces/demo/configmaps"));
        List<String> lines = bad.out().lines().toList();
        assertThat(lines.get(lines.size() - 1)).isEqualTo("400");
        JsonNode status = KubeObjects.JSON.readTree(String.join("\n", lines.subList(0, lines.size() - 1)));
        assertThat(status.path("kind").asText()).isEqualTo("Status");
        assertThat(status.path("reason").asText()).isEqualTo("BadRequest");
        Path yaml = dir.resolve("broken.yaml");
        Files.writeString(yaml, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [oops\n", StandardCharsets.UTF_8);
        assertThat(run(kubectl("apply", "-f", yaml.toString())).exit()).isNotZero();
        assertThat(server.cloudcore.standalone().store().resourceVersion()).isEqualTo(version);
        assertThat(ok("get", "configmaps", "-n", "demo", "-o", "json").out()).isEqualTo(before);
    }

    @Test
    @Order(8)
    void deleteRemovesEverythingOfTheFile() throws Exception {
        Run r = ok("delete", "-f", dir.resolve("all.yaml").toString());
        assertThat(r.out()).contains("namespace \"demo\" deleted", "service \"web\" deleted", "device.devices.kubeedge.io \"thermo-1\" deleted");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(run(kubectl("get", "namespace", "demo")).err()).contains("NotFound"));
        assertThat(ok("get", "endpointslices", "-A", "-o", "name").out()).isEmpty();
    }

    void curl(String method, String path, String json, String expectedCode) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method));
        if (json != null) {
            cmd.addAll(List.of("-H", "Content-Type: application/json", "--data-binary", json));
        }
        cmd.add(server.url + path);
        assertThat(run(cmd).out()).isEqualTo(expectedCode);
    }

    @Test
    @Order(9)
    void typedCreateCommandsWorkOrGetAClearRefusal() throws Exception {
        Run r = run(kubectl("create", "configmap", "proto", "--from-literal=a=1"));
        if (kubectlMinorVersion() > 20) {
            // kubectl's typed subcommands (create configmap/secret/namespace) send protobuf bodies since
            // 1.21, which this server does not decode: they get a 415 that says so; `apply -f`/`create -f`
            // send JSON, and so does everything kubectl 1.20 sends.
            assertThat(r.exit()).isNotZero();
            assertThat(r.err()).contains("protobuf bodies are not supported");
        } else {
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(ok("get", "configmap", "proto", "-o", "jsonpath={.data.a}").out()).isEqualTo("1");
            ok("delete", "configmap", "proto");
        }
    }

    /** A valid manifest of every served kind, with the fields our tests and deployments use. */
    static final String EVERY_KIND = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: kinds
              labels: {team: edge}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: rich, namespace: kinds, annotations: {note: "a service"}}
            spec:
              type: ClusterIP
              selector: {app: rich}
              sessionAffinity: ClientIP
              ipFamilyPolicy: SingleStack
              ports:
              - {name: http, port: 80, targetPort: 8080, protocol: TCP, appProtocol: http}
              - {name: dns, port: 53, targetPort: dns, protocol: UDP}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: external, namespace: kinds}
            subsets:
            - addresses: [{ip: 100.64.2.1, nodeName: edge-a1}]
              notReadyAddresses: [{ip: 100.64.2.2}]
              ports: [{name: http, port: 8080, protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: external-1
              namespace: kinds
              labels: {kubernetes.io/service-name: external}
            addressType: IPv4
            ports:
            - {name: http, port: 8080, protocol: TCP}
            endpoints:
            - addresses: [100.64.2.1]
              nodeName: edge-a1
              hostname: ext-0
              conditions: {ready: true, serving: true, terminating: false}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: kinds}
            data: {level: debug}
            binaryData: {blob: AAEC}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: creds, namespace: kinds}
            type: Opaque
            data: {password: cGFzc3dvcmQ=}
            stringData: {user: admin}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: rich
              namespace: kinds
              labels: {app: rich}
            spec:
              nodeName: edge-a1
              restartPolicy: Always
              terminationGracePeriodSeconds: 5
              dnsPolicy: ClusterFirst
              nodeSelector: {kubernetes.io/hostname: edge-a1}
              tolerations:
              - {key: node-role.kubernetes.io/edge, operator: Exists, effect: NoSchedule}
              securityContext: {runAsUser: 1000, fsGroup: 2000}
              volumes:
              - name: conf
                configMap: {name: settings, items: [{key: level, path: level.txt}]}
              - name: scratch
                emptyDir: {sizeLimit: 64Mi}
              initContainers:
              - name: init
                image: busybox
                command: [sh, -c, "true"]
              containers:
              - name: app
                image: nginx:1.25
                imagePullPolicy: IfNotPresent
                args: ["--port", "8080"]
                ports:
                - {name: http, containerPort: 8080, protocol: TCP}
                env:
                - {name: MODE, value: edge}
                - {name: LEVEL, valueFrom: {configMapKeyRef: {name: settings, key: level}}}
                - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                resources:
                  requests: {cpu: 100m, memory: 64Mi}
                  limits: {cpu: 1, memory: 128Mi}
                readinessProbe:
                  httpGet: {path: /healthz, port: http}
                  periodSeconds: 5
                livenessProbe:
                  tcpSocket: {port: 8080}
                volumeMounts:
                - {name: conf, mountPath: /etc/app, readOnly: true}
                securityContext:
                  allowPrivilegeEscalation: false
                  capabilities: {drop: [ALL]}
            ---
            apiVersion: v1
            kind: Node
            metadata:
              name: edge-kinds-1
              labels: {node-role.kubernetes.io/edge: ""}
            spec:
              podCIDR: 100.64.9.0/24
              podCIDRs: [100.64.9.0/24]
              taints: [{key: node-role.kubernetes.io/edge, effect: NoSchedule}]
            status:
              addresses: [{type: InternalIP, address: 192.0.2.10}]
              conditions: [{type: Ready, status: "True"}]
              nodeInfo: {kubeletVersion: v1.29.5-kubeedge-v1.20.0}
            ---
            apiVersion: devices.kubeedge.io/v1beta1
            kind: DeviceModel
            metadata: {name: sensor, namespace: kinds}
            spec:
              protocol: modbus
              properties:
              - name: temperature
                type: FLOAT
                accessMode: ReadOnly
                minimum: "-40"
                unit: celsius
            ---
            apiVersion: devices.kubeedge.io/v1beta1
            kind: Device
            metadata: {name: sensor-1, namespace: kinds}
            spec:
              deviceModelRef: {name: sensor}
              nodeName: edge-a1
              protocol:
                protocolName: modbus
                configData: {slaveID: 1, port: /dev/ttyS0, anything: {goes: [1, two]}}
              properties:
              - name: temperature
                reportCycle: 1000
                visitors: {protocolName: modbus, configData: {register: HoldingRegister, offset: 2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: rich, namespace: kinds}
            spec:
              host: rich.kinds.svc.cluster.local
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
            ---
            apiVersion: networking.istio.io/v1beta1
            kind: DestinationRule
            metadata: {name: rich-hash, namespace: kinds}
            spec:
              host: rich.kinds.svc.cluster.local
              trafficPolicy:
                loadBalancer:
                  consistentHash: {httpHeaderName: x-user}
            """;

    @Test
    @Order(10)
    void aValidManifestOfEveryKindIsCreatedAndReapplied() throws Exception {
        Path file = dir.resolve("kinds.yaml");
        Files.writeString(file, EVERY_KIND);
        Run created = ok("create", "-f", file.toString());
        assertThat(created.out()).contains("namespace/kinds created", "service/rich created", "endpoints/external created",
                "endpointslice.discovery.k8s.io/external-1 created", "configmap/settings created", "secret/creds created",
                "pod/rich created", "node/edge-kinds-1 created", "devicemodel.devices.kubeedge.io/sensor created",
                "device.devices.kubeedge.io/sensor-1 created", "destinationrule.networking.istio.io/rich created",
                "destinationrule.networking.istio.io/rich-hash created");
        assertThat(ok("get", "pod", "rich", "-n", "kinds", "-o", "jsonpath={.spec.containers[0].resources.limits.memory}").out())
                .isEqualTo("128Mi");
        assertThat(ok("get", "device", "sensor-1", "-n", "kinds", "-o", "jsonpath={.spec.protocol.configData.anything.goes[1]}").out())
                .isEqualTo("two");

        // apply over what create made: kubectl computes patches from the served schemas; nothing changes.
        Run applied = ok("apply", "-f", file.toString());
        assertThat(applied.out()).doesNotContain("created");
        assertThat(applied.out().lines().count()).isEqualTo(created.out().lines().count());

        // A changed container list: the strategic merge patch matches containers by name.
        Files.writeString(file, EVERY_KIND.replace("image: nginx:1.25", "image: nginx:1.27"));
        assertThat(ok("apply", "-f", file.toString()).out()).contains("pod/rich configured");
        assertThat(ok("get", "pod", "rich", "-n", "kinds", "-o", "jsonpath={.spec.containers[*].image}").out()).isEqualTo("nginx:1.27");

        // What the server answers validates too: every kind read back as YAML (a v1 List) and applied.
        Path got = dir.resolve("got.yaml");
        Files.writeString(got, ok("get", "namespaces,services,endpoints,endpointslices,configmaps,secrets,pods,nodes,devicemodels,"
                + "devices,destinationrules", "-A", "-o", "yaml").out());
        assertThat(ok("apply", "-f", got.toString()).out()).contains("pod/rich", "node/edge-kinds-1", "device.devices.kubeedge.io/sensor-1",
                "endpointslice.discovery.k8s.io/external-1");

        ok("delete", "-f", file.toString(), "--wait=false");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(run(kubectl("get", "namespace", "kinds")).err()).contains("NotFound"));
        assertThat(run(kubectl("get", "node", "edge-kinds-1")).err()).contains("NotFound");
    }
}
