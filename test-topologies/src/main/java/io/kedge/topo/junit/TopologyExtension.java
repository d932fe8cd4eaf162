package io.kedge.topo.junit;

import io.kedge.topo.live.HostProcess;
import io.kedge.topo.live.Topology;
import io.kedge.topo.spec.TopologySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/** The JUnit 5 side of {@link WithTopology}. */
public final class TopologyExtension implements BeforeAllCallback, AfterAllCallback, AfterTestExecutionCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TopologyExtension.class);
    private static final String KEY = "topology";
    /** At most this many trailing lines of each process are printed for a failed test. */
    static final int LINES_SHOWN = 300;

    @Override
    public void beforeAll(ExtensionContext context) {
        WithTopology annotation = AnnotationSupport.findAnnotation(context.getRequiredTestClass(), WithTopology.class)
                .orElseThrow(() -> new ExtensionConfigurationException("@WithTopology is missing on " + context.getRequiredTestClass()));
        TopologySpec spec = TopologySpec.parse(read(annotation.value(), context.getRequiredTestClass()));
        Topology topology = Topology.up(spec);
        context.getStore(NS).put(KEY, topology);
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isEmpty()) {
            return;
        }
        Topology topology = topology(context);
        if (topology == null) {
            return;
        }
        StringBuilder report = new StringBuilder();
        report.append("\n===== ").append(context.getDisplayName()).append(" failed; ").append(topology.describe());
        for (HostProcess p : topology.processes()) {
            String[] lines = p.output().split("\n");
            int from = Math.max(0, lines.length - LINES_SHOWN);
            report.append("----- ").append(p).append(" (last ").append(lines.length - from).append(" lines)\n");
            for (int i = from; i < lines.length; i++) {
                report.append("  | ").append(lines[i]).append('\n');
            }
        }
        report.append("===== end of topology output\n");
        System.err.print(report);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Topology topology = context.getStore(NS).remove(KEY, Topology.class);
        if (topology != null) {
            topology.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Topology.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Topology topology = topology(context);
        if (topology == null) {
            throw new ExtensionConfigurationException("no topology is up for " + context.getDisplayName());
        }
        return topology;
    }

    private static Topology topology(ExtensionContext context) {
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            Topology t = c.getStore(NS).get(KEY, Topology.class);
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    static String read(String location, Class<?> testClass) {
        String resource = location.startsWith("/") ? location.substring(1) : location;
        try (InputStream in = testClass.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Path file = Path.of(location);
            if (Files.exists(file)) {
                return Files.readString(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read topology " + location, e);
        }
        throw new ExtensionConfigurationException("topology " + location + " is neither a classpath resource nor a file");
    }
}
