package io.kedge.agent.proxy.http;

import io.kedge.agent.proxy.PortMetrics;
import io.kedge.agent.proxy.Route;
import io.kedge.agent.proxy.Upstream;
import io.kedge.agent.proxy.UpstreamConnector;
import io.kedge.agent.proxy.UpstreamConnector.Connected;
import io.kedge.agent.proxy.UpstreamConnector.NoEndpointException;
import io.kedge.agent.proxy.tcp.RelayHandler;
import io.kedge.common.net.DeferredFlush;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of an HTTP port: one request at a time (pipelined requests wait their turn),
 * each balanced on its own and sent over a pooled upstream connection; the response streams back
 * with backpressure both ways. Requests that fail to reach an endpoint are answered 502/503/504;
 * idempotent bodiless requests are retried when a reused connection turns out to be dead. An
 * accepted protocol upgrade (WebSocket) turns the connection into a raw pipe.
 *
 * <p>Runs on the client channel's event loop; upstream events reach it through {@link #run}.
 */
final class HttpExchangeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HttpExchangeHandler.class);
    /** Bodies up to this size are sent in one buffer with their head. */
    private static final int SMALL_BODY = 4096;
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

    private final HttpListener listener;
    private final PortMetrics metrics;
    private ChannelHandlerContext ctx;
    private String clientIp;
    private UpstreamPool pool;
    // What the connector asks for on a slow path (no idle pooled connection), made once per connection.
    private Supplier<Route> routeSupplier;
    private Function<Upstream, Future<Channel>> acquire;
    // Pull-style flow control: whether the handler is ready for the next decoded message, and
    // the messages that came while it was not (bounded: reading is paused as soon as one waits).
    private boolean wantMessage;
    private final ArrayDeque<Object> held = new ArrayDeque<>();

    // The exchange in progress (requestHead non-null), reset between exchanges.
    private String method;
    private String target;
    // The request head as sent upstream (kept for a retry); null between exchanges.
    private ByteBuf requestHead;
    // Whether requestHead went out once (its reader index is then used up).
    private boolean requestHeadWritten;
    private boolean clientHttp11;
    private boolean clientKeepAlive;
    private boolean upgrade;
    private boolean bodyless;
    private boolean requestDone;
    private boolean bodySent;
    private String hashKey;
    private String setCookie;
    private int reuseRetries;
    private Future<Connected> connecting;
    private Upstream upstream;
    private Channel upstreamChannel;
    private UpstreamHandler upstreamHandler;
    private boolean responseStarted;
    private boolean switching;
    private boolean interim;
    private boolean dropInterim;
    private boolean upstreamKeepAlive;
    // An HTTP/1.0 client gets a chunked body without its framing: this walks it.
    private ChunkedBody dechunk;
    // The response head, held until the first piece of body (or the end of the upstream's read).
    private ByteBuf responseHead;
    private boolean awaitingUpstreamWritable;
    /** Request body bytes written to an upstream on another event loop whose writes have not completed (changed on this loop only). */
    private long bodyInFlight;
    // A finished response was written but not flushed: the flush waits for the end of the
    // upstream's read batch, so that one read's worth of responses costs one flush.
    private boolean flushPending;
    // Between exchanges: the rest of a request that was answered early is swallowed.
    private boolean discarding;
    // After a 101: the connection is a raw pipe.
    private boolean switched;
    // The client has ended its side: finish the exchange in progress, then close.
    private boolean clientDone;

    HttpExchangeHandler(HttpListener listener) {
        this.listener = listener;
        this.metrics = listener.metrics();
    }

    /** Whether the caller is on the client's event loop (pooled direct upstreams share it). */
    boolean inEventLoop() {
        return ctx.executor().inEventLoop();
    }

    /** Runs {@code task} on the client's event loop. */
    void run(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        clientIp = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
        pool = listener.pool(ctx.channel().eventLoop());
        wantMessage = true;
        ctx.channel().config().setAutoRead(true);
        ctx.fireChannelActive();
    }

    /**
     * Ready for the next decoded message: a held one is handled at once; with none held, reading
     * (if it was paused) resumes. Reading stays on in the usual request-response rhythm, so that
     * flow control costs nothing until a client sends ahead.
     */
    private void requestRead() {
        wantMessage = true;
        while (wantMessage && !held.isEmpty()) {
            wantMessage = false;
            handle(held.poll());
        }
        if (wantMessage && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (switched) {
            handle(msg);
            return;
        }
        if (!wantMessage || !held.isEmpty()) {
            // Busy with an exchange (a pipelined request, or body while the upstream is full):
            // hold it and stop reading, so that at most one read's worth waits here.
            held.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        wantMessage = false;
        handle(msg);
    }

    private void handle(Object msg) {
        if (switched) {
            // Left over from the request decoder after a 101: raw bytes go on, anything else cannot.
            if (msg instanceof ByteBuf && upstreamChannel != null) {
                upstreamChannel.writeAndFlush(msg, upstreamChannel.voidPromise());
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (msg instanceof HttpHead head) {
            if (requestHead != null || discarding) {
                head.release();
                return;
            }
            begin(head);
            return;
        }
        if (msg instanceof BodyPart part) {
            clientBody(part);
            return;
        }
        if (msg instanceof HttpDecodeFailure failure) {
            if (requestHead != null) {
                // The body broke off in the middle: the upstream has part of it, the client gets a close.
                abort();
            } else if (discarding) {
                ctx.close();
            } else {
                rejectMalformed(failure);
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void clientBody(BodyPart part) {
        boolean last = part.last;
        if (discarding) {
            part.release();
            if (last) {
                discarding = false;
                nextRequestOrClose();
            } else {
                requestRead();
            }
            return;
        }
        if (requestHead == null || upstreamChannel == null) {
            part.release();
            return;
        }
        ByteBuf bytes = part.content();
        int n = bytes.readableBytes();
        if (n > 0) {
            bodySent = true;
            metrics.bytesUpstream.inc(n);
            if (upstreamChannel.eventLoop() == ctx.channel().eventLoop()) {
                upstreamChannel.writeAndFlush(bytes, upstreamChannel.voidPromise());
            } else {
                writeBodyAcrossLoops(upstreamChannel, bytes, n);
            }
        } else {
            part.release();
            DeferredFlush.flushAfterBatch(upstreamChannel);
        }
        if (last) {
            requestDone = true;
        } else if (upstreamChannel.isWritable() && bodyInFlight <= RelayHandler.CROSS_LOOP_HIGH) {
            requestRead();
        } else {
            awaitingUpstreamWritable = true;
        }
    }

    /**
     * A body part to an upstream on another event loop (a QUIC tunnel stream): its writability does
     * not count the writes queued for its loop, so the bytes in flight are counted here, and the
     * body is read on only once the upstream's loop has taken all but a few of them.
     */
    private void writeBodyAcrossLoops(Channel up, ByteBuf bytes, int n) {
        bodyInFlight += n;
        up.writeAndFlush(bytes).addListener(f -> run(() -> {
            bodyInFlight -= n;
            if (bodyInFlight <= RelayHandler.CROSS_LOOP_LOW && up.isWritable()) {
                upstreamWritable(up);
            }
        }));
    }

    private void begin(HttpHead req) {
        metrics.requests.inc();
        metrics.activeRequests.increment();
        try {
            method = req.method;
            // Only the debug log lines name the target: no string per request otherwise.
            target = log.isDebugEnabled() ? req.target() : null;
            clientHttp11 = req.http11;
            clientKeepAlive = req.keepAlive;
            upgrade = req.upgrade;
            bodyless = !req.chunked && req.contentLength <= 0;
            RequestHashKey hash = RequestHashKey.of(listener.route().policy(), req, clientIp);
            hashKey = hash.key();
            setCookie = hash.setCookie();
            requestHead = ForwardedHeaders.toUpstream(req, clientIp, ctx.alloc());
        } finally {
            req.release();
        }
        connect();
    }

    private void connect() {
        Upstream choice = UpstreamConnector.firstChoice(listener.route(), clientIp, hashKey);
        Channel reused = choice == null ? null : pool.pollIdle(choice);
        if (reused != null) {
            // The usual case: an idle pooled connection to the policy's choice, on this loop.
            connected(reused, choice);
            return;
        }
        if (routeSupplier == null) {
            routeSupplier = listener::route;
            acquire = pool::acquire;
        }
        Future<Connected> attempt = listener.context().connector().connect(routeSupplier, clientIp, hashKey,
                ctx.channel().eventLoop(), metrics, acquire, choice);
        connecting = attempt;
        if (attempt.isDone()) {
            // A pooled connection on this loop: no listener to allocate.
            connecting = null;
            connectDone(attempt);
            return;
        }
        attempt.addListener(f -> {
            if (attempt != connecting || f.isCancelled()) {
                return;
            }
            connecting = null;
            connectDone(attempt);
        });
    }

    private void connectDone(Future<Connected> attempt) {
        if (attempt.isSuccess()) {
            Connected c = attempt.getNow();
            connected(c.channel(), c.upstream());
        } else if (!attempt.isCancelled()) {
            connectFailed(attempt.cause());
        }
    }

    private void connected(Channel ch, Upstream chosen) {
        if (requestHead == null || !ctx.channel().isActive()) {
            ch.close();
            return;
        }
        upstream = chosen;
        upstreamChannel = ch;
        upstreamHandler = ch.pipeline().get(UpstreamHandler.class);
        upstream.active().incrementAndGet();
        upstreamHandler.attach(this);
        // The first attempt writes the head itself (a derived buffer would cost two NIO views per
        // write); a retry writes a view of it from its start, sharing nothing with the failed write.
        ByteBuf head = requestHeadWritten ? requestHead.retainedSlice(0, requestHead.writerIndex()) : requestHead.retain();
        requestHeadWritten = true;
        UpstreamRequest out = new UpstreamRequest(head, "HEAD".equals(method));
        if (requestDone) {
            // A retry: the (bodiless) request was already complete.
            ch.writeAndFlush(out, ch.voidPromise());
        } else {
            ch.write(out, ch.voidPromise());
            if (!bodyless) {
                // Send the head now: the client may be waiting for "100 Continue" before its body.
                ch.flush();
            }
            requestRead();
        }
    }

    private void connectFailed(Throwable cause) {
        if (requestHead == null) {
            return;
        }
        String route = listener.route().label();
        if (cause instanceof NoEndpointException) {
            answerError(HttpResponseStatus.SERVICE_UNAVAILABLE, "no endpoints available for " + route);
        } else if (cause instanceof UpstreamPool.PoolExhaustedException) {
            answerError(HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream connection limit reached for " + route);
        } else if (cause instanceof ConnectTimeoutException) {
            answerError(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream connect timed out for " + route);
        } else {
            answerError(HttpResponseStatus.BAD_GATEWAY, "upstream connect failed for " + route + ": " + cause.getMessage());
        }
    }

    void upstreamMessage(Channel ch, Object msg) {
        if (ch != upstreamChannel) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (switched) {
            if (msg instanceof ByteBuf buf) {
                metrics.bytesDownstream.inc(buf.readableBytes());
                ctx.channel().writeAndFlush(buf, ctx.channel().voidPromise());
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (msg instanceof HttpHead response) {
            try {
                upstreamResponse(response);
            } finally {
                response.release();
            }
        } else if (msg instanceof BodyPart part) {
            upstreamBody(part);
        } else if (msg instanceof HttpDecodeFailure failure) {
            if (responseStarted || interim) {
                abort();
            } else {
                closeUpstream();
                answerError(HttpResponseStatus.BAD_GATEWAY, failure.tooLarge() ? "upstream response head too large"
                        : "upstream sent an invalid response: " + failure.reason());
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void upstreamResponse(HttpHead response) {
        int code = response.status;
        if (code == 101 && !upgrade) {
            // The connection is no longer HTTP, and nobody asked for that.
            closeUpstream();
            answerError(HttpResponseStatus.BAD_GATEWAY, "upstream switched protocols unasked");
            return;
        }
        if (code < 200 && code != 101) {
            interim = true;
            if (!clientHttp11) {
                // HTTP/1.0 clients do not expect 1xx answers.
                dropInterim = true;
                return;
            }
            ctx.write(response.content().retainedDuplicate(), ctx.voidPromise());
            return;
        }
        responseStarted = true;
        switching = code == 101;
        boolean delimited = response.chunked || response.contentLength >= 0 || code == 204 || code == 304 || "HEAD".equals(method);
        upstreamKeepAlive = response.keepAlive && delimited;
        if (!switching) {
            if (!delimited) {
                // The body ends when the upstream closes: so must the client connection.
                clientKeepAlive = false;
            }
            if (!clientHttp11 && response.transferEncoding) {
                // An HTTP/1.0 client cannot read chunks: it gets the body raw, ended by the close.
                clientKeepAlive = false;
                if (response.chunked) {
                    dechunk = new ChunkedBody(listener.context().config().httpMaxHeaderSize());
                }
            }
        }
        ByteBuf head = ForwardedHeaders.toClient(response, clientHttp11, clientKeepAlive, setCookie, ctx.alloc());
        if (switching) {
            ctx.write(head, ctx.voidPromise());
        } else {
            // Held for the first piece of body: a small response then goes out as one buffer.
            responseHead = head;
        }
    }

    private void upstreamBody(BodyPart part) {
        boolean last = part.last;
        if (interim) {
            part.release();
            if (last) {
                interim = false;
                dropInterim = false;
            }
            return;
        }
        if (!writeToClient(part)) {
            abort();
            return;
        }
        if (!last) {
            if (!ctx.channel().isWritable()) {
                upstreamChannel.config().setAutoRead(false);
            }
            return;
        }
        if (switching) {
            ctx.flush();
            switchProtocols();
        } else {
            responseDone();
        }
    }

    /** Writes a piece of the response body (without chunk framing for HTTP/1.0 clients); false when the framing is broken. */
    private boolean writeToClient(BodyPart part) {
        ByteBuf bytes = part.content();
        int n = bytes.readableBytes();
        if (n > 0 && n <= SMALL_BODY && responseHead != null && dechunk == null) {
            // One write (and no gathering write) for a small response, as an HTTP encoder would do.
            ByteBuf head = responseHead;
            responseHead = null;
            ByteBuf both = ctx.alloc().buffer(head.readableBytes() + n);
            both.writeBytes(head).writeBytes(bytes);
            head.release();
            part.release();
            metrics.bytesDownstream.inc(n);
            ctx.write(both, ctx.voidPromise());
            return true;
        }
        writeResponseHead();
        if (n == 0) {
            part.release();
            return true;
        }
        if (dechunk == null) {
            metrics.bytesDownstream.inc(n);
            ctx.write(bytes, ctx.voidPromise());
            return true;
        }
        List<ByteBuf> data = new ArrayList<>(2);
        try {
            dechunk.walk(bytes, bytes.readerIndex(), bytes.writerIndex(), data);
        } catch (ChunkedBody.MalformedChunkException e) {
            data.forEach(ByteBuf::release);
            return false;
        } finally {
            part.release();
        }
        for (ByteBuf d : data) {
            metrics.bytesDownstream.inc(d.readableBytes());
            ctx.write(d, ctx.voidPromise());
        }
        return true;
    }

    /** Writes the response head if it is still held. */
    private void writeResponseHead() {
        if (responseHead != null) {
            ctx.write(responseHead, ctx.voidPromise());
            responseHead = null;
            if (!ctx.channel().isWritable() && upstreamChannel != null) {
                upstreamChannel.config().setAutoRead(false);
            }
        }
    }

    void upstreamReadComplete(Channel ch) {
        if (ch == upstreamChannel || flushPending) {
            flushPending = false;
            writeResponseHead();
            DeferredFlush.flushAfterBatch(ctx.channel());
        }
    }

    void upstreamWritable(Channel ch) {
        // Across loops the upstream turns writable again as soon as its loop takes the queued writes,
        // long before they complete: the body waits for the bytes in flight as well.
        if (ch == upstreamChannel && awaitingUpstreamWritable && bodyInFlight <= RelayHandler.CROSS_LOOP_LOW) {
            awaitingUpstreamWritable = false;
            requestRead();
        }
    }

    void upstreamFailed(Channel ch, Throwable cause) {
        if (ch != upstreamChannel) {
            return;
        }
        upstream.active().decrementAndGet();
        upstream = null;
        upstreamChannel = null;
        if (switched) {
            ctx.close();
            return;
        }
        if (responseStarted || interim) {
            // Part of the response went out already: the client can only learn of the failure by a close.
            abort();
            return;
        }
        if (IDEMPOTENT.contains(method) && bodyless && !bodySent && reuseRetries < listener.context().config().connectAttempts()) {
            // Typically a kept-alive connection the endpoint had just closed: nothing was processed.
            reuseRetries++;
            metrics.retries.inc();
            log.debug("{}: retrying {} {} after upstream failure: {}", listener.route().label(), method, target, cause.toString());
            connect();
            return;
        }
        answerError(HttpResponseStatus.BAD_GATEWAY, "upstream closed the connection before responding");
    }

    /** The response is complete: the upstream connection goes back to the pool, the next request may come. */
    private void responseDone() {
        Channel ch = upstreamChannel;
        Upstream u = upstream;
        UpstreamHandler handler = upstreamHandler;
        handler.detach();
        u.active().decrementAndGet();
        if (requestDone && upstreamKeepAlive && !upgrade && ch.isActive()) {
            // The upstream's read batch is still in progress: its end flushes the response.
            flushPending = true;
            handler.flushAtReadComplete(this);
            ch.config().setAutoRead(true);
            pool.release(u, ch);
            if (!ch.isActive()) {
                // Not kept (the pool is full): no read batch end to wait for.
                flushPending = false;
                ctx.flush();
            }
        } else {
            ctx.flush();
            ch.close();
        }
        boolean keepAlive = clientKeepAlive && requestDone;
        endExchange();
        if (keepAlive) {
            nextRequestOrClose();
        } else {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Answers the current request with an error of the proxy's own; the connection survives when it can. */
    private void answerError(HttpResponseStatus status, String reason) {
        log.debug("{}: {} {} -> {} {}", listener.route().label(), method, target, status.code(), reason);
        boolean lastStillToCome = !requestDone && bodyless;
        boolean keepAlive = clientKeepAlive && (requestDone || bodyless);
        boolean http11 = clientHttp11;
        endExchange();
        ByteBuf response = HttpErrors.response(ctx.alloc(), http11, status, reason, keepAlive);
        if (!keepAlive) {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(response, ctx.voidPromise());
        discarding = lastStillToCome;
        nextRequestOrClose();
    }

    /**
     * Asks for the next request. A client that has ended its side may still have pipelined requests
     * waiting (they are handed over at once); without any, the connection is done.
     */
    private void nextRequestOrClose() {
        requestRead();
        if (clientDone && wantMessage) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void rejectMalformed(HttpDecodeFailure failure) {
        HttpResponseStatus status = switch (failure.kind()) {
            case HEAD_TOO_LARGE -> HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            case LINE_TOO_LONG -> HttpResponseStatus.REQUEST_URI_TOO_LONG;
            case MALFORMED -> HttpResponseStatus.BAD_REQUEST;
        };
        ctx.writeAndFlush(HttpErrors.response(ctx.alloc(), true, status, "malformed request: " + failure.reason(), false))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * After a 101 the connection is no longer HTTP: both pipelines lose their codecs and become a
     * raw pipe. The upstream's encoder is put in pass-through first, so that bytes the client's
     * decoder still holds can go straight on.
     */
    private void switchProtocols() {
        Channel client = ctx.channel();
        Channel up = upstreamChannel;
        switched = true;
        metrics.activeRequests.decrement();
        releaseRequestHead();
        Upstream u = upstream;
        up.closeFuture().addListener(f -> u.active().decrementAndGet());
        held.forEach(ReferenceCountUtil::release);
        held.clear();
        ctx.pipeline().remove(HttpListener.CODEC);
        ctx.pipeline().replace(this, "relay", new RelayHandler(up, metrics.bytesUpstream));
        up.eventLoop().execute(() -> {
            up.pipeline().replace(UpstreamPool.HANDLER, "relay", new RelayHandler(client, metrics.bytesDownstream));
            up.pipeline().remove(UpstreamPool.IDLE);
            up.pipeline().remove(UpstreamPool.CODEC);
            up.pipeline().remove(UpstreamPool.WRITER);
            up.config().setAutoRead(true);
            client.config().setAutoRead(true);
        });
    }

    private void closeUpstream() {
        if (upstreamChannel != null) {
            Channel ch = upstreamChannel;
            upstreamHandler.detach();
            upstream.active().decrementAndGet();
            upstream = null;
            upstreamChannel = null;
            ch.close();
        }
    }

    /** Ends everything: the client sees its connection close, the upstream connection is dropped. */
    private void abort() {
        closeUpstream();
        endExchange();
        ctx.close();
    }

    /** Forgets the current exchange (metrics included); the upstream must already be released or closed. */
    private void endExchange() {
        if (requestHead != null) {
            metrics.activeRequests.decrement();
        }
        if (connecting != null) {
            connecting.cancel(false);
        }
        releaseRequestHead();
        dechunk = null;
        if (responseHead != null) {
            responseHead.release();
            responseHead = null;
        }
        connecting = null;
        upstream = null;
        upstreamChannel = null;
        upstreamHandler = null;
        requestDone = false;
        bodySent = false;
        hashKey = null;
        setCookie = null;
        reuseRetries = 0;
        responseStarted = false;
        switching = false;
        interim = false;
        dropInterim = false;
        upstreamKeepAlive = false;
        awaitingUpstreamWritable = false;
    }

    private void releaseRequestHead() {
        if (requestHead != null) {
            requestHead.release();
            requestHead = null;
        }
        requestHeadWritten = false;
        method = null;
        target = null;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !switched) {
            // Nothing more will come; whatever is in progress is answered, then the connection ends.
            clientDone = true;
            if (requestHead == null && !discarding) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && upstreamChannel != null) {
            upstreamChannel.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        held.forEach(ReferenceCountUtil::release);
        held.clear();
        if (!switched) {
            closeUpstream();
            endExchange();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: client connection failed: {}", listener.route().label(), cause.toString());
        ctx.close();
    }
}
