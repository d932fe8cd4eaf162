package io.kedge.edge.config;

import static io.kedge.common.config.ConfigException.require;

import io.kedge.common.config.YamlConfig;
import java.nio.file.Path;

/**
 * edgecore-lite's configuration, written by {@code edgecore-lite join} and read by {@code serve}.
 *
 * <pre>
 * nodeName: e1
 * dataDir: /var/lib/kedge-edgecore        # edgecore.db and certs/ (rootCA.crt, server.crt, server.key)
 * cloudHub:
 *   server: 203.0.113.10:10000
 *   projectId: e632aba927ea4ac2b575ec1603d56f10
 *   keepaliveSeconds: 15
 *   pingSeconds: 10
 *   readTimeoutSeconds: 30                # no frame (pong, message) for this long: reconnect
 *   backoffInitialMillis: 1000
 *   backoffMaxSeconds: 60
 * metaServer: {listen: 127.0.0.1:10550}
 * admin: {listen: 127.0.0.1:10562}
 * </pre>
 */
public record EdgecoreConfig(String nodeName, String dataDir, CloudHub cloudHub, MetaServer metaServer, Admin admin) {
    public static final String DEFAULT_DATA_DIR = "/var/lib/kedge-edgecore";
    public static final String DEFAULT_FILE = "/etc/kedge/edgecore.yaml";

    public EdgecoreConfig {
        dataDir = dataDir == null || dataDir.isBlank() ? DEFAULT_DATA_DIR : dataDir;
        require(nodeName != null && nodeName.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") && nodeName.length() <= 253, "nodeName", nodeName,
                "must be a DNS-1123 name");
        require(cloudHub != null, "cloudHub", null, "is required (edgecore-lite join writes it)");
        metaServer = metaServer == null ? MetaServer.DEFAULT : metaServer;
        admin = admin == null ? Admin.DEFAULT : admin;
    }

    public static EdgecoreConfig load(Path file) {
        return YamlConfig.load(file, EdgecoreConfig.class);
    }

    public Path certDir() {
        return Path.of(dataDir, "certs");
    }

    public record CloudHub(String server, String projectId, Integer keepaliveSeconds, Integer pingSeconds, Integer readTimeoutSeconds,
                           Integer backoffInitialMillis, Integer backoffMaxSeconds, Integer maxMessageBytes) {
        public static final String DEFAULT_PROJECT = "e632aba927ea4ac2b575ec1603d56f10";

        public CloudHub {
            require(server != null, "server", null, "is required: HOST:PORT of CloudHub");
            requireHostPort("server", server);
            projectId = projectId == null ? DEFAULT_PROJECT : projectId;
            keepaliveSeconds = keepaliveSeconds == null ? 15 : keepaliveSeconds;
            pingSeconds = pingSeconds == null ? 10 : pingSeconds;
            readTimeoutSeconds = readTimeoutSeconds == null ? 30 : readTimeoutSeconds;
            backoffInitialMillis = backoffInitialMillis == null ? 1000 : backoffInitialMillis;
            backoffMaxSeconds = backoffMaxSeconds == null ? 60 : backoffMaxSeconds;
            maxMessageBytes = maxMessageBytes == null ? 8 * 1024 * 1024 : maxMessageBytes;
            require(projectId.matches("[A-Za-z0-9_-]{1,64}"), "projectId", projectId, "must be 1 to 64 letters, digits, '-' or '_'");
            require(keepaliveSeconds >= 1 && keepaliveSeconds <= 3600, "keepaliveSeconds", keepaliveSeconds, "must be between 1 and 3600");
            require(pingSeconds >= 1 && pingSeconds <= 3600, "pingSeconds", pingSeconds, "must be between 1 and 3600");
            require(readTimeoutSeconds > pingSeconds && readTimeoutSeconds <= 3600, "readTimeoutSeconds", readTimeoutSeconds,
                    "must be more than pingSeconds (" + pingSeconds + ") and at most 3600");
            require(backoffInitialMillis >= 10 && backoffInitialMillis <= 600_000, "backoffInitialMillis", backoffInitialMillis,
                    "must be between 10 and 600000");
            require(backoffMaxSeconds >= 1 && backoffMaxSeconds <= 3600, "backoffMaxSeconds", backoffMaxSeconds, "must be between 1 and 3600");
            require(maxMessageBytes >= 64 * 1024 && maxMessageBytes <= 64 * 1024 * 1024, "maxMessageBytes", maxMessageBytes,
                    "must be between 65536 and 67108864");
        }

        public String host() {
            return server.substring(0, server.lastIndexOf(':')).replace("[", "").replace("]", "");
        }

        public int port() {
            return Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
        }
    }

    public record MetaServer(String listen) {
        public static final MetaServer DEFAULT = new MetaServer(null);

        public MetaServer {
            listen = listen == null ? "127.0.0.1:10550" : listen;
            requireHostPort("listen", listen);
        }
    }

    public record Admin(String listen) {
        public static final Admin DEFAULT = new Admin(null);

        public Admin {
            listen = listen == null ? "127.0.0.1:10562" : listen;
            requireHostPort("listen", listen);
        }
    }

    public static void requireHostPort(String key, String value) {
        int colon = value.lastIndexOf(':');
        require(colon > 0 && value.substring(colon + 1).matches("\\d{1,5}") && Integer.parseInt(value.substring(colon + 1)) <= 65535,
                key, value, "must be HOST:PORT");
    }
}
