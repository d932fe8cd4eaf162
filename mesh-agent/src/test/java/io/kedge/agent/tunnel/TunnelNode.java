package io.kedge.agent.tunnel;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kedge.agent.catalog.Protocol;
import io.kedge.common.signaling.SignalMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One tunnel endpoint as a process in a topology (the tunnel without the rest of the agent): a
 * TunnelService registered with the given mesh-servers, allowed to dial only its own address, with
 * a TCP and a UDP echo service and a tiny HTTP server there. Commands on stdin, one per line:
 * {@code tcp|udp NODE IP PORT TEXT} opens a stream and prints {@code RESULT ok REPLY} or
 * {@code RESULT fail REASON}; {@code http NODE IP PORT PATH} sends a GET through a stream and prints
 * {@code RESULT ok STATUS BODY}; {@code peers} prints {@code PEERS <json>}. A long-lived TCP stream:
 * {@code hold NAME NODE IP PORT} opens one and keeps it ({@code RESULT ok held}), {@code say NAME TEXT}
 * sends TEXT on it and waits for the echo, {@code drop NAME} closes it. {@code metric NAME} prints
 * {@code METRIC} and the samples of metric NAME in Prometheus text format, separated by " | ".
 *
 * <p>Arguments: NODE OWN_IP TOKEN SERVER[,SERVER...]. System properties
 * {@code kedge.tunnel.upgradeFirstDelay}, {@code kedge.tunnel.upgradeMaxDelay} and
 * {@code kedge.tunnel.upgradeDrainTimeout} (seconds) replace the path-upgrade defaults, and
 * {@code kedge.tunnel.setupTimeout} the setup timeout (15 s).
 */
public final class TunnelNode {
    /** How long a stream waits for its tunnel: a setup may be offered again (ICE twice, then the TCP relay). */
    static final int OPEN_SECONDS = 60;
    public static final int TCP_ECHO = 7000;
    public static final int UDP_ECHO = 7001;
    public static final int HTTP = 8080;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.kedge.agent.tunnel")).setLevel(ch.qos.logback.classic.Level.DEBUG);
        String node = args[0];
        InetAddress own = InetAddress.getByName(args[1]);
        String token = args[2];
        List<String> servers = List.of(args[3].split(","));
        startEchoes(own);
        startHttp(node, own);
        PrometheusRegistry registry = new PrometheusRegistry();
        TunnelService tunnel = new TunnelService(new TunnelService.Settings(node, servers,
                SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build(),
                () -> new SignalMessage.Register(node, token, List.of(own.getHostAddress())), 2, 60,
                Integer.getInteger("kedge.tunnel.setupTimeout", 15), true, 0, "edgemesh0",
                upgradePolicy()),
                (protocol, target) -> target.getAddress().equals(own) ? null : target + " is not on node " + node, registry);
        tunnel.start();
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        HeldStreams held = new HeldStreams();
        System.out.println("TUNNEL READY " + node);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.strip().split(" ", 5);
            if (f[0].equals("hold") && f.length == 5) {
                System.out.println("RESULT " + held.hold(tunnel, loops, f[1], f[2], new InetSocketAddress(InetAddress.getByName(f[3]),
                        Integer.parseInt(f[4]))));
            } else if (f[0].equals("say") && f.length >= 3) {
                System.out.println("RESULT " + held.say(f[1], line.strip().split(" ", 3)[2]));
            } else if (f[0].equals("drop") && f.length == 2) {
                System.out.println("RESULT " + held.drop(f[1]));
            } else if (f[0].equals("metric") && f.length == 2) {
                System.out.println("METRIC " + metric(registry, f[1]));
            } else if (f[0].equals("peers")) {
                System.out.println("PEERS " + JSON.writeValueAsString(tunnel.peers()));
            } else if (f[0].equals("registered")) {
                System.out.println("REGISTERED " + tunnel.connected());
            } else if (f.length == 5 && f[0].equals("http")) {
                System.out.println("RESULT " + http(tunnel, loops, f[1], new InetSocketAddress(InetAddress.getByName(f[2]),
                        Integer.parseInt(f[3])), f[4]));
            } else if (f.length == 5) {
                Protocol p = f[0].equals("udp") ? Protocol.UDP : Protocol.TCP;
                System.out.println("RESULT " + exchange(tunnel, loops, f[1], new InetSocketAddress(InetAddress.getByName(f[2]),
                        Integer.parseInt(f[3])), p, f[4]));
            }
            System.out.flush();
        }
        tunnel.close();
        loops.shutdownGracefully();
        System.exit(0); // the HTTP server's dispatcher is no daemon thread
    }

    /** The samples of metric {@code name} (lines of the Prometheus text format), joined by " | ". */
    static String metric(PrometheusRegistry registry, String name) throws java.io.IOException {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create().write(text, registry.scrape());
        return String.join(" | ", text.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(name)).toList());
    }

    /** The path-upgrade policy, with the system properties' seconds in place of the defaults. */
    static PathUpgradePolicy upgradePolicy() {
        PathUpgradePolicy d = PathUpgradePolicy.DEFAULT;
        return new PathUpgradePolicy(true, seconds("kedge.tunnel.upgradeFirstDelay", d.firstDelay()),
                seconds("kedge.tunnel.upgradeMaxDelay", d.maxDelay()), seconds("kedge.tunnel.upgradeDrainTimeout", d.drainTimeout()));
    }

    private static java.time.Duration seconds(String property, java.time.Duration fallback) {
        String v = System.getProperty(property);
        return v == null ? fallback : java.time.Duration.ofSeconds(Long.parseLong(v));
    }

    /** Long-lived TCP streams by name: what arrives on each is queued until a {@code say} takes it. */
    static final class HeldStreams {
        private final java.util.Map<String, Channel> streams = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.Map<String, java.util.concurrent.BlockingQueue<String>> received = new java.util.concurrent.ConcurrentHashMap<>();

        String hold(TunnelService tunnel, EventLoopGroup loops, String name, String node, InetSocketAddress target) {
            try {
                Channel ch = tunnel.open(node, target, Protocol.TCP, loops.next()).get(OPEN_SECONDS, TimeUnit.SECONDS);
                java.util.concurrent.BlockingQueue<String> queue = new java.util.concurrent.LinkedBlockingQueue<>();
                ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                        queue.add(msg.toString(StandardCharsets.UTF_8));
                    }
                });
                ch.config().setAutoRead(true);
                ch.read();
                streams.put(name, ch);
                received.put(name, queue);
                return "ok held";
            } catch (Exception e) {
                return "fail " + e;
            }
        }

        String say(String name, String text) {
            Channel ch = streams.get(name);
            if (ch == null) {
                return "fail no stream " + name;
            }
            if (!ch.isActive()) {
                return "fail stream " + name + " closed";
            }
            try {
                ch.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)).sync();
                StringBuilder got = new StringBuilder();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (got.length() < text.length()) {
                    String part = received.get(name).poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (part == null) {
                        return "fail no echo on " + name + " after " + got.length() + " bytes (active " + ch.isActive() + ")";
                    }
                    got.append(part);
                }
                return "ok " + got;
            } catch (Exception e) {
                return "fail " + e;
            }
        }

        String drop(String name) {
            Channel ch = streams.remove(name);
            received.remove(name);
            if (ch == null) {
                return "fail no stream " + name;
            }
            ch.close().syncUninterruptibly();
            return "ok dropped";
        }
    }

    static String exchange(TunnelService tunnel, EventLoopGroup loops, String node, InetSocketAddress target, Protocol protocol, String text) {
        try {
            Channel ch = tunnel.open(node, target, protocol, loops.next()).get(OPEN_SECONDS, TimeUnit.SECONDS);
            CompletableFuture<String> reply = new CompletableFuture<>();
            StringBuilder got = new StringBuilder();
            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                    got.append(msg.toString(StandardCharsets.UTF_8));
                    if (got.length() >= text.length()) {
                        reply.complete(got.toString());
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    reply.completeExceptionally(new IllegalStateException("stream closed after " + got.length() + " bytes"));
                }
            });
            ch.config().setAutoRead(true);
            ch.read();
            ch.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
            String answer = reply.get(20, TimeUnit.SECONDS);
            ch.close();
            return "ok " + answer;
        } catch (Exception e) {
            Throwable c = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            return "fail " + c.getClass().getSimpleName() + ": " + c.getMessage();
        }
    }

    /** A GET for {@code path} through a tunnel stream: the status line and body, once the server closes the connection. */
    static String http(TunnelService tunnel, EventLoopGroup loops, String node, InetSocketAddress target, String path) {
        try {
            Channel ch = tunnel.open(node, target, Protocol.TCP, loops.next()).get(OPEN_SECONDS, TimeUnit.SECONDS);
            CompletableFuture<String> response = new CompletableFuture<>();
            StringBuilder got = new StringBuilder();
            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                    got.append(msg.toString(StandardCharsets.UTF_8));
                }

                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                        response.complete(got.toString()); // the server closed its side (the stream half-closes)
                    }
                    ctx.fireUserEventTriggered(evt);
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    response.complete(got.toString());
                }
            });
            ch.config().setAutoRead(true);
            ch.read();
            ch.writeAndFlush(Unpooled.copiedBuffer("GET " + path + " HTTP/1.1\r\nHost: " + target.getAddress().getHostAddress()
                    + "\r\nConnection: close\r\n\r\n", StandardCharsets.UTF_8));
            String r = response.get(20, TimeUnit.SECONDS);
            int headersEnd = r.indexOf("\r\n\r\n");
            if (!r.startsWith("HTTP/1.1 ") || headersEnd < 0) {
                return "fail not an HTTP response: " + r.replace("\r\n", " | ");
            }
            return "ok " + r.substring(9, r.indexOf("\r\n")) + " " + r.substring(headersEnd + 4).strip();
        } catch (Exception e) {
            Throwable c = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            return "fail " + c.getClass().getSimpleName() + ": " + c.getMessage();
        }
    }

    /** Answers every GET with "hello from NODE PATH". */
    static void startHttp(String node, InetAddress own) throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress(own, HTTP), 50);
        server.createContext("/", exchange -> {
            byte[] body = ("hello from " + node + " " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
    }

    static void startEchoes(InetAddress own) throws Exception {
        ServerSocket tcp = new ServerSocket(TCP_ECHO, 50, own);
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Socket s = tcp.accept();
                    Thread c = new Thread(() -> {
                        try (s; InputStream i = s.getInputStream(); OutputStream o = s.getOutputStream()) {
                            i.transferTo(o);
                        } catch (Exception ignored) {
                            // the client went away
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (Exception e) {
                    return;
                }
            }
        }, "tcp-echo");
        t.setDaemon(true);
        t.start();
        DatagramSocket udp = new DatagramSocket(new InetSocketAddress(own, UDP_ECHO));
        Thread u = new Thread(() -> {
            byte[] buf = new byte[65535];
            while (true) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    udp.receive(p);
                    udp.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                } catch (Exception e) {
                    return;
                }
            }
        }, "udp-echo");
        u.setDaemon(true);
        u.start();
    }
}
