package io.kedge.agent.tunnel;

import io.kedge.agent.config.AgentConfig;
import io.kedge.common.config.ConfigException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of signaling TLS. With a node certificate the agent presents it and checks the
 * server against the cluster CA. With only a join token and no CA, the server's certificate cannot
 * be checked (mesh-server's own is self-signed): the token then authenticates the agent but not the
 * server, which is logged; configure {@code caFile} to close that gap.
 */
public final class SignalingTls {
    private static final Logger log = LoggerFactory.getLogger(SignalingTls.class);

    private SignalingTls() {
    }

    public static SslContext client(AgentConfig.EdgeTunnel t) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient();
            if (t.caFile() != null) {
                requireFile("caFile", t.caFile());
                b.trustManager(new File(t.caFile()));
            } else {
                log.warn("modules.edgeTunnel.caFile not set: mesh-servers' certificates are not verified");
                b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            }
            if (t.certFile() != null) {
                requireFile("certFile", t.certFile());
                requireFile("keyFile", t.keyFile());
                b.keyManager(new File(t.certFile()), new File(t.keyFile()));
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("modules.edgeTunnel.certFile", t.certFile(), "cannot load the signaling TLS material: " + e.getMessage());
        }
    }

    /** The join token from the configuration or its file (first non-empty line), or null. */
    public static String joinToken(AgentConfig.EdgeTunnel t) {
        if (t.joinToken() != null) {
            return t.joinToken();
        }
        if (t.joinTokenFile() == null) {
            return null;
        }
        requireFile("joinTokenFile", t.joinTokenFile());
        try {
            return Files.readAllLines(Path.of(t.joinTokenFile()), StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(l -> !l.isEmpty()).findFirst()
                    .orElseThrow(() -> new ConfigException("modules.edgeTunnel.joinTokenFile", t.joinTokenFile(), "the file is empty"));
        } catch (IOException e) {
            throw new ConfigException("modules.edgeTunnel.joinTokenFile", t.joinTokenFile(), "unreadable: " + e.getMessage());
        }
    }

    private static void requireFile(String key, String path) {
        if (!new File(path).isFile()) {
            throw new ConfigException("modules.edgeTunnel." + key, path, "file does not exist");
        }
    }
}
