package io.kedge.server.signaling;

import io.kedge.common.signaling.SignalCodec;
import io.kedge.common.signaling.SignalMessage;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signaling listener: TLS (mutual with the cluster CA when configured), 4-byte length framing
 * of at most {@link SignalCodec#MAX_FRAME} bytes, a read-idle timeout (agents send keepalives well
 * inside it), and a {@link SignalingHandler} per connection.
 */
public final class SignalingServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SignalingServer.class);

    /** What the listener needs besides its collaborators. */
    public record Settings(InetSocketAddress bind, String serverName, int registerTimeoutSeconds, int idleTimeoutSeconds) {
    }

    private final Settings settings;
    private final SslContext tls;
    private final AgentRegistry registry;
    private final AgentAuthenticator authenticator;
    private final Function<String, SignalMessage.RelayCredentials> credentials;
    private final SignalingMetrics metrics;
    private Channel listener;

    public SignalingServer(Settings settings, SslContext tls, AgentRegistry registry, AgentAuthenticator authenticator,
                           Function<String, SignalMessage.RelayCredentials> credentials, SignalingMetrics metrics) {
        this.settings = settings;
        this.tls = tls;
        this.registry = registry;
        this.authenticator = authenticator;
        this.credentials = credentials;
        this.metrics = metrics;
    }

    public InetSocketAddress start(EventLoopGroup group, ChannelFactory<? extends ServerChannel> channels) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(group).channelFactory(channels)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast("tls", tls.newHandler(ch.alloc()))
                                .addLast("idle", new IdleStateHandler(settings.idleTimeoutSeconds(), 0, 0, TimeUnit.SECONDS))
                                .addLast("frames", new LengthFieldBasedFrameDecoder(SignalCodec.MAX_FRAME, 0, 4, 0, 4))
                                .addLast("length", new LengthFieldPrepender(4))
                                .addLast("signaling", new SignalingHandler(registry, authenticator, credentials, metrics,
                                        settings.serverName(), settings.registerTimeoutSeconds(), Clock.systemUTC()));
                    }
                });
        listener = b.bind(settings.bind()).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
        log.info("signaling on tls {} as {}", bound, settings.serverName());
        return bound;
    }

    public boolean healthy() {
        return listener != null && listener.isActive();
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
