package io.kedge.cloud.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@link KubectlIT}'s scenarios with kubectl 1.20, the only kubectl Debian bookworm's apt installs
 * (package kubernetes-client). Unlike later versions it validates manifests on the client, against the
 * OpenAPI v2 document it fetches first (in protobuf): valid manifests of every kind must pass, unknown
 * fields and wrong types must be refused with Kubernetes' messages, before anything reaches the server.
 * The binary is fetched once with {@code apt-get download} into target/kubectl-1.20.
 */
class Kubectl120IT extends KubectlIT {
    private static final Path CACHE = Path.of("target", "kubectl-1.20").toAbsolutePath();

    private Path binary;

    @BeforeAll
    void obtainKubectl120() throws Exception {
        binary = obtain(CACHE);
        assertThat(kubectlMinorVersion()).as("the kubectl of Debian's kubernetes-client package").isEqualTo(20);
    }

    @Override
    String kubectlBinary() {
        return binary.toString();
    }

    @Test
    @Order(20)
    void unknownFieldsAndWrongTypesAreRefusedBeforeTheServerSeesThem() throws Exception {
        long version = server.cloudcore.standalone().store().resourceVersion();
        Run r = refused("apply", """
                apiVersion: v1
                kind: Pod
                metadata: {name: typo, namespace: default}
                spec:
                  containers:
                  - name: app
                    image: nginx
                    imagee: nginx:1.27
                """);
        assertThat(r.err()).contains("ValidationError(Pod.spec.containers[0]): unknown field \"imagee\" in io.k8s.api.core.v1.Container",
                "--validate=false");
        r = refused("create", """
                apiVersion: v1
                kind: Service
                metadata: {name: wrong, namespace: default}
                spec:
                  ports:
                  - {name: http, port: {number: 80}}
                """);
        assertThat(r.err()).contains("invalid type for io.k8s.api.core.v1.ServicePort.port: got \"map\", expected \"integer\"");
        r = refused("apply", """
                apiVersion: devices.kubeedge.io/v1beta1
                kind: Device
                metadata: {name: typo, namespace: default}
                spce: {nodeName: edge-a1}
                """);
        assertThat(r.err()).contains("unknown field \"spce\" in io.kubeedge.devices.v1beta1.Device");

        assertThat(server.cloudcore.standalone().store().resourceVersion()).as("nothing was written").isEqualTo(version);
        assertThat(run(kubectl("get", "pod", "typo", "-n", "default")).err()).contains("NotFound");
    }

    /** Runs {@code kubectl VERB -f} on {@code manifest} and expects a refusal. */
    private Run refused(String verb, String manifest) throws Exception {
        Path file = Files.createTempFile(dir, "manifest", ".yaml");
        Files.writeString(file, manifest);
        Run r = run(kubectl(verb, "-f", file.toString()));
        assertThat(r.exit()).as(r.out()).isNotZero();
        return r;
    }

    // ---- fetching kubectl 1.20 ----

    /** kubectl from Debian's kubernetes-client package, downloaded and unpacked under {@code cache} once. */
    static Path obtain(Path cache) throws Exception {
        Path kubectl = cache.resolve("x/usr/bin/kubectl");
        if (Files.isExecutable(kubectl)) {
            return kubectl;
        }
        if (!onPath("apt-get") || !onPath("dpkg")) {
            throw new AssertionError("kubectl 1.20 comes from Debian bookworm's kubernetes-client package, fetched with "
                    + "`apt-get download kubernetes-client`: this machine has no apt-get/dpkg. Run the tests on Debian bookworm.");
        }
        Files.createDirectories(cache);
        ExecResult download = exec(cache, List.of("apt-get", "download", "kubernetes-client"));
        if (download.exit() != 0) {
            // A fresh machine may not have package lists yet.
            exec(cache, List.of("apt-get", "update"));
            download = exec(cache, List.of("apt-get", "download", "kubernetes-client"));
        }
        Path deb;
        try (Stream<Path> files = Files.list(cache)) {
            deb = files.filter(f -> f.getFileName().toString().startsWith("kubernetes-client") && f.toString().endsWith(".deb"))
                    .findFirst().orElse(null);
        }
        if (download.exit() != 0 || deb == null) {
            throw new AssertionError("`apt-get download kubernetes-client` failed (exit " + download.exit() + "): " + download.out());
        }
        // Unpacked aside and moved into place, so an interrupted run never leaves a half binary behind.
        Path staging = Files.createTempDirectory(cache, "unpack");
        ExecResult unpack = exec(cache, List.of("dpkg", "-x", deb.toString(), staging.toString()));
        if (unpack.exit() != 0 || !Files.isExecutable(staging.resolve("usr/bin/kubectl"))) {
            throw new AssertionError("`dpkg -x " + deb + "` did not give usr/bin/kubectl: " + unpack.out());
        }
        Files.move(staging, cache.resolve("x"), StandardCopyOption.ATOMIC_MOVE);
        return kubectl;
    }

    private static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    record ExecResult(int exit, String out) {
    }

    private static ExecResult exec(Path workDir, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(workDir, "exec", ".txt");
        try {
            Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new ExecResult(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
