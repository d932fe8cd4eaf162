package io.kedge.agent.dns;

import java.net.InetSocketAddress;
import org.xbill.DNS.Message;

/**
 * A decoded packet from a client: a query to resolve, or an error reply to send as it is.
 *
 * @param query        the parsed query, or null when {@code rejection} is set
 * @param rejection    the error reply for a packet that is not a query we answer, or null
 * @param sender       where a UDP reply goes (null over TCP)
 * @param maxReplySize the largest reply the client accepts (its EDNS payload size, or 512; 65535 over TCP)
 * @param replyKey     the query's key in the {@link ZoneReplyCache}, or null
 */
record InboundQuery(Message query, Message rejection, InetSocketAddress sender, int maxReplySize, ZoneReplyCache.Key replyKey) {
}
