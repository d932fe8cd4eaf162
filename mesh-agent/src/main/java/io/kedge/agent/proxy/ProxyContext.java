package io.kedge.agent.proxy;

/**
 * What every listener shares: configuration, the event loops, the dialer and the retry logic.
 */
public record ProxyContext(ProxyConfig config, NettyTransport transport, Dialer dialer, UpstreamConnector connector) {
}
