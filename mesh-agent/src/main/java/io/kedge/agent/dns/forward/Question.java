package io.kedge.agent.dns.forward;

import org.xbill.DNS.Name;

/**
 * What is asked upstream, and the key under which answers are cached and identical queries
 * coalesced. {@link Name} equality ignores case, so {@code Example.COM} and {@code example.com}
 * share an entry. The DO and CD bits are part of the key: they change what an upstream returns.
 */
public record Question(Name name, int type, int dclass, boolean dnssecOk, boolean checkingDisabled) {
}
