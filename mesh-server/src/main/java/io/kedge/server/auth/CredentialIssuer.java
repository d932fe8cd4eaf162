package io.kedge.server.auth;

import java.time.Duration;

/**
 * Issues short-lived relay credentials to agents. Signaling calls this for a registered agent and
 * hands the result to it over its authenticated channel; the relay then accepts the credentials
 * until they expire, without any shared state between the two.
 */
public interface CredentialIssuer {
    TurnCredentials issue(String agentId, Duration ttl);
}
