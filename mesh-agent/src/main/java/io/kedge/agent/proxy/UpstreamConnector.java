package io.kedge.agent.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses an endpoint and opens a channel to it, trying the next endpoint the policy offers when
 * one fails, up to {@code connectAttempts} in all. Once every endpoint has failed, the next round
 * waits first (EdgeMesh-style backoff: {@code retryBackoff}, then twice that, ...). The route is
 * read afresh for every attempt, so a catalog update during retries is honoured.
 */
public final class UpstreamConnector {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnector.class);

    private static final Predicate<Upstream> NOTHING_TRIED = u -> false;

    private final int maxAttempts;
    private final long backoffNanos;

    /** An endpoint was chosen and its channel is open. */
    public record Connected(Channel channel, Upstream upstream) {
    }

    /** The Service port has no usable endpoint. */
    public static final class NoEndpointException extends Exception {
        public NoEndpointException(String route) {
            super("no endpoints for " + route);
        }
    }

    public UpstreamConnector(int maxAttempts, Duration retryBackoff) {
        this.maxAttempts = maxAttempts;
        this.backoffNanos = retryBackoff.toNanos();
    }

    /**
     * @param route    the listener's current route
     * @param clientIp for session affinity and source-IP hashing
     * @param hashKey  the consistent-hash key (or null)
     * @param open     opens a channel to one endpoint (a dial, or a pooled connection)
     * @return completes on {@code loop} with the connection, or fails with {@link NoEndpointException}
     *         or the last attempt's cause; cancelling it abandons the attempts
     */
    public Future<Connected> connect(Supplier<Route> route, String clientIp, String hashKey, EventLoop loop, PortMetrics metrics,
                                     Function<Upstream, Future<Channel>> open) {
        return connect(route, clientIp, hashKey, loop, metrics, open, null);
    }

    /**
     * As {@link #connect(Supplier, String, String, EventLoop, PortMetrics, Function)}, with the first
     * attempt going to {@code firstChoice} when the caller has already asked the policy (see
     * {@link #firstChoice}); null to ask it here.
     */
    public Future<Connected> connect(Supplier<Route> route, String clientIp, String hashKey, EventLoop loop, PortMetrics metrics,
                                     Function<Upstream, Future<Channel>> open, Upstream firstChoice) {
        Attempts attempts = new Attempts(route, clientIp, hashKey, loop, metrics, open);
        attempts.firstChoice = firstChoice;
        if (loop.inEventLoop()) {
            attempts.next();
        } else {
            loop.execute(attempts::next);
        }
        return attempts.promise;
    }

    /**
     * The policy's choice for a first attempt, or null when the route has no endpoint. A caller
     * that can use the choice at once (an idle pooled connection to it) skips {@link #connect}'s
     * bookkeeping; otherwise it passes the choice on, so the policy is asked once per request.
     */
    public static Upstream firstChoice(Route route, String clientIp, String hashKey) {
        return route.upstreams().isEmpty() ? null : route.balancer().pick(clientIp, hashKey, NOTHING_TRIED);
    }

    private final class Attempts {
        final Supplier<Route> route;
        final String clientIp;
        final String hashKey;
        final EventLoop loop;
        final PortMetrics metrics;
        final Function<Upstream, Future<Channel>> open;
        final Promise<Connected> promise;
        Upstream firstChoice;
        Set<Upstream> tried;
        int attempt;
        int round;
        Future<Channel> pending;

        Attempts(Supplier<Route> route, String clientIp, String hashKey, EventLoop loop, PortMetrics metrics,
                 Function<Upstream, Future<Channel>> open) {
            this.route = route;
            this.clientIp = clientIp;
            this.hashKey = hashKey;
            this.loop = loop;
            this.metrics = metrics;
            this.open = open;
            this.promise = loop.newPromise();
            promise.addListener(f -> {
                if (f.isCancelled() && pending != null) {
                    pending.cancel(false);
                }
            });
        }

        void next() {
            if (promise.isDone()) {
                return;
            }
            Route r = route.get();
            if (r.upstreams().isEmpty()) {
                metrics.noEndpoint.inc();
                promise.tryFailure(new NoEndpointException(r.label()));
                return;
            }
            Upstream chosen = firstChoice != null && attempt == 0 && r.upstreams().contains(firstChoice) ? firstChoice
                    : r.balancer().pick(clientIp, hashKey, tried == null ? NOTHING_TRIED : tried::contains);
            long delay = 0;
            if (chosen == null) {
                // Everything has failed once: start another round after a pause.
                tried = null;
                round++;
                chosen = r.balancer().pick(clientIp, hashKey, u -> false);
                delay = backoffNanos << Math.min(round - 1, 10);
            }
            if (attempt > 0) {
                metrics.retries.inc();
            }
            attempt++;
            Upstream target = chosen;
            if (delay > 0) {
                loop.schedule(() -> open(target), delay, TimeUnit.NANOSECONDS);
            } else {
                open(target);
            }
        }

        void open(Upstream upstream) {
            if (promise.isDone()) {
                return;
            }
            Future<Channel> f = openSafely(upstream);
            pending = f;
            if (f.isDone() && loop.inEventLoop()) {
                // A pooled connection: no need to go through a listener.
                opened(upstream, f);
                return;
            }
            f.addListener(done -> {
                if (loop.inEventLoop()) {
                    opened(upstream, f);
                } else {
                    loop.execute(() -> opened(upstream, f));
                }
            });
        }

        Future<Channel> openSafely(Upstream upstream) {
            try {
                return open.apply(upstream);
            } catch (RuntimeException e) {
                return loop.newFailedFuture(e);
            }
        }

        void opened(Upstream upstream, Future<Channel> f) {
            if (f.isSuccess()) {
                Channel ch = f.getNow();
                if (!promise.trySuccess(new Connected(ch, upstream))) {
                    ch.close();
                }
                return;
            }
            if (promise.isDone()) {
                return;
            }
            metrics.connectFailures.inc();
            if (tried == null) {
                tried = new HashSet<>();
            }
            tried.add(upstream);
            log.debug("{}: attempt {} to {} failed: {}", route.get().label(), attempt, upstream, String.valueOf(f.cause()));
            if (attempt >= maxAttempts) {
                promise.tryFailure(f.cause() != null ? f.cause() : new IllegalStateException("connect cancelled"));
            } else {
                next();
            }
        }
    }
}
