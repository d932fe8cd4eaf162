package io.kedge.server.bench;

import io.kedge.common.signaling.SignalMessage;
import io.kedge.server.testing.SignalingClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Load for bench/tunnel: holds many registered agents on one mesh-server, so its memory can be
 * measured with them. Each agent is one signaling connection (plain JDK TLS, not the agent's
 * code) that registers with the join token and then sends a keepalive every KEEPALIVE seconds,
 * as an idle agent does. Registrations run 4 at a time (the blocking client writes each frame in
 * two TLS records, so one at a time would mostly measure Nagle and delayed ACKs; many at a time
 * on a busy machine overrun the server's registration timeout), each retried up to 5 times.
 *
 * <pre>
 * SignalingLoad HOST:PORT TOKEN COUNT HOLD_SECONDS [KEEPALIVE_SECONDS]
 *   prints "REGISTERED n" every 100 agents, "ALL REGISTERED COUNT in MS ms" once all are in,
 *   keeps them for HOLD_SECONDS (keepalives included), prints "DONE" and closes them.
 * </pre>
 */
public final class SignalingLoad {
    private static final int PARALLEL = 4;
    private static final int ATTEMPTS = 5;

    private SignalingLoad() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: SignalingLoad HOST:PORT TOKEN COUNT HOLD_SECONDS [KEEPALIVE_SECONDS]");
            System.exit(2);
        }
        int colon = args[0].lastIndexOf(':');
        InetSocketAddress server = new InetSocketAddress(args[0].substring(0, colon), Integer.parseInt(args[0].substring(colon + 1)));
        String token = args[1];
        int count = Integer.parseInt(args[2]);
        long holdSeconds = Long.parseLong(args[3]);
        long keepaliveSeconds = args.length > 4 ? Long.parseLong(args[4]) : 20;
        if (count < 1 || count > 100_000 || holdSeconds < 0 || holdSeconds > 3600 || keepaliveSeconds < 1) {
            throw new IllegalArgumentException("COUNT 1-100000, HOLD_SECONDS 0-3600, KEEPALIVE_SECONDS >= 1");
        }
        List<SignalingClient> agents = new ArrayList<>(count);
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<SignalingClient>> pending = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int n = i;
                pending.add(pool.submit(() -> registerRetrying(server, token, n)));
            }
            long keepaliveNanos = keepaliveSeconds * 1_000_000_000L;
            long lastRound = System.nanoTime();
            long seq = 0;
            for (int i = 0; i < count; i++) {
                agents.add(pending.get(i).get(300, TimeUnit.SECONDS));
                if ((i + 1) % 100 == 0) {
                    System.out.println("REGISTERED " + (i + 1));
                }
                // Registering many takes a while: those already in keep their sessions alive meanwhile
                // (the server closes signaling sessions idle for its idleTimeoutSeconds).
                if (System.nanoTime() - lastRound >= keepaliveNanos) {
                    keepaliveRound(agents, ++seq);
                    lastRound = System.nanoTime();
                }
            }
            System.out.println("ALL REGISTERED " + count + " in " + (System.nanoTime() - started) / 1_000_000 + " ms");
            System.out.flush();
            long end = System.nanoTime() + holdSeconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                long wake = Math.min(end, now + keepaliveNanos);
                Thread.sleep(Math.max(1, (wake - now) / 1_000_000));
                if (System.nanoTime() >= end) {
                    break;
                }
                keepaliveRound(agents, ++seq);
            }
            System.out.println("DONE");
        } finally {
            pool.shutdownNow();
            for (SignalingClient a : agents) {
                try {
                    a.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }

    /** A keepalive from every agent, then the server's echoes (which keeps our receive buffers empty). */
    private static void keepaliveRound(List<SignalingClient> agents, long seq) throws Exception {
        for (SignalingClient a : agents) {
            a.send(new SignalMessage.Keepalive(seq));
        }
        for (SignalingClient a : agents) {
            a.receive();
        }
    }

    private static SignalingClient registerRetrying(InetSocketAddress server, String token, int n) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return register(server, token, n);
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                System.out.println("RETRY load-" + n + ": " + e);
            }
        }
    }

    /** One agent: connect, register as load-N, wait for the server's answer. */
    private static SignalingClient register(InetSocketAddress server, String token, int n) throws Exception {
        SignalingClient c = new SignalingClient(server);
        c.send(new SignalMessage.Register("load-" + n, token, List.of()));
        SignalMessage answer = c.receive();
        if (!(answer instanceof SignalMessage.Registered)) {
            c.close();
            throw new IOException("agent load-" + n + " was not registered: " + answer);
        }
        return c;
    }
}
