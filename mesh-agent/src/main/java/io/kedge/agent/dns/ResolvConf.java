package io.kedge.agent.dns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code nameserver} lines of a resolv.conf file: the default upstream servers. */
public final class ResolvConf {
    private static final Logger log = LoggerFactory.getLogger(ResolvConf.class);
    /** resolv.conf is a few lines; anything larger is not one. */
    private static final long MAX_BYTES = 64 * 1024;

    private ResolvConf() {
    }

    /**
     * The nameservers listed in {@code file}, in order, at most {@link DnsConfig#MAX_UPSTREAMS}.
     * A missing or unreadable file gives an empty list (logged): the server then answers the zone
     * and SERVFAIL for other names rather than not starting.
     */
    public static List<InetSocketAddress> nameservers(Path file) {
        try {
            if (Files.size(file) > MAX_BYTES) {
                log.warn("{} is larger than {} bytes; not reading upstream servers from it", file, MAX_BYTES);
                return List.of();
            }
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            log.warn("cannot read upstream servers from {}: {}", file, e.toString());
            return List.of();
        }
    }

    /** Parses resolv.conf text; {@code source} names it in log messages. */
    public static List<InetSocketAddress> parse(String text, String source) {
        List<InetSocketAddress> servers = new ArrayList<>();
        String[] lines = text.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            String[] words = line.split("\\s+");
            if (!words[0].equals("nameserver")) {
                continue;
            }
            InetSocketAddress server = words.length >= 2 ? DnsConfig.parseServer(words[1]) : null;
            if (server == null || words[1].indexOf('%') >= 0) {
                log.warn("{} line {}: ignoring nameserver \"{}\" (not a usable IP address)", source, i + 1,
                        words.length >= 2 ? words[1] : "");
                continue;
            }
            if (servers.size() == DnsConfig.MAX_UPSTREAMS) {
                log.warn("{} lists more than {} nameservers; using the first {}", source, DnsConfig.MAX_UPSTREAMS,
                        DnsConfig.MAX_UPSTREAMS);
                break;
            }
            servers.add(server);
        }
        return servers;
    }
}
