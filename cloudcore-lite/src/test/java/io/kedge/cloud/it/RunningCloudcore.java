package io.kedge.cloud.it;

import io.kedge.cloud.Cloudcore;
import io.kedge.cloud.config.CloudcoreConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;

/** cloudcore-lite started in the test JVM on loopback, with its data in a test directory. */
final class RunningCloudcore implements AutoCloseable {
    final Cloudcore cloudcore;
    final String url;

    RunningCloudcore(Path dataDir, int apiPort) throws Exception {
        CloudcoreConfig.Standalone standalone = new CloudcoreConfig.Standalone(true, "127.0.0.1:" + apiPort, "198.18.0.0/24", false,
                1000, null, 60, null, null);
        CloudcoreConfig config = new CloudcoreConfig(dataDir.toString(), new CloudcoreConfig.Admin("127.0.0.1:0"),
                new CloudcoreConfig.Modules(standalone, new CloudcoreConfig.EndpointsController(true, 60)));
        cloudcore = new Cloudcore(config);
        cloudcore.start();
        url = cloudcore.standalone().api().url();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        cloudcore.close();
    }
}
