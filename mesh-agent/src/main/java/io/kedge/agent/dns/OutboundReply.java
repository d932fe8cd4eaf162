package io.kedge.agent.dns;

import java.net.InetSocketAddress;

/**
 * A reply on its way to the encoder.
 *
 * @param reply        the reply
 * @param recipient    the client's address (UDP), or null (TCP)
 * @param maxReplySize size limit for the encoded reply
 * @param replyKey     where to keep the encoded reply in the {@link ZoneReplyCache} (null: not kept)
 */
record OutboundReply(DnsReply reply, InetSocketAddress recipient, int maxReplySize, ZoneReplyCache.Key replyKey) {
}
