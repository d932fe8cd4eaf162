package io.kedge.topo.live;

import java.util.List;

/** How helper JVMs inside namespaces are started. */
public final class JavaCommand {
    /** Small, quick-starting JVMs: tests start many of them and need startup time, not peak speed. */
    public static final List<String> TEST_JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx256m", "-Djava.net.preferIPv4Stack=true",
            // The programs turn Netty's leak detection off unless asked; tests keep its sampling on.
            "-Dio.netty.leakDetection.level=simple");

    private JavaCommand() {
    }

    /** The java binary of this JVM. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    }
}
