/**
 * The mesh's iptables rules: declare what you want, the library makes the kernel match it and keeps
 * it that way.
 *
 * <h2>Model</h2>
 * A {@link io.kedge.iptables.DesiredState} is everything one {@link io.kedge.iptables.Owner} wants,
 * in the {@link io.kedge.iptables.IpFamily#V4 IPv4} and {@link io.kedge.iptables.IpFamily#V6 IPv6}
 * rule sets: owned chains (names start with the owner's prefix, e.g. {@code KEDGE-}) with their
 * {@link io.kedge.iptables.Rule rules} in order, and {@link io.kedge.iptables.Jump jumps} that head
 * built-in chains such as PREROUTING and OUTPUT. Every rule the library installs carries a comment
 * {@code "kedge: <description> #<id>"}; the id hashes the rule's place and content. That comment is
 * how the library recognises its own rules (also those of an earlier run or version) and how it
 * compares installed rules with desired ones without depending on how iptables-save rewrites them.
 *
 * <h2>Sync</h2>
 * {@link io.kedge.iptables.IptablesReconciler} reads the relevant tables with iptables-save, diffs
 * them against the desired state ({@link io.kedge.iptables.plan.Planner}) and, only if anything
 * differs, applies one iptables-restore {@code --noflush} transaction per family that
 * <ul>
 *   <li>declares (creates, or flushes and refills) each owned chain whose rules are missing,
 *       changed or out of order;</li>
 *   <li>puts the jumps back at the top of their built-in chain when another tool (kube-proxy, also
 *       when it started after us) inserted its rules before them, when one was deleted, or when one
 *       is duplicated;</li>
 *   <li>removes owned chains that are no longer desired (stale: from a crash, an older version),
 *       with every jump or reference to them.</li>
 * </ul>
 * A rejected transaction changes nothing: the rules installed before stay in force, and the
 * {@link io.kedge.iptables.IptablesException} quotes the line iptables-restore rejected. The
 * reconciler resyncs periodically (default every 30 s, on its own daemon thread, never at the same
 * time as another sync), repairing rules deleted, flushed or reordered by others, and counts what
 * it does ({@link io.kedge.iptables.IptablesStats}, {@link io.kedge.iptables.SyncListener}).
 *
 * <h2>Backends</h2>
 * {@link io.kedge.iptables.backend.Backends#system} picks iptables-nft or iptables-legacy per family
 * (kubelet's hint chain, else the variant that already holds rules, else {@code iptables --version})
 * unless {@link io.kedge.iptables.backend.BackendMode} forces one, and runs every command through
 * {@link io.kedge.common.exec.CommandRunner}, optionally behind a prefix such as
 * {@code ip netns exec NS}. {@link io.kedge.iptables.backend.RecordingBackend} records restore inputs
 * and simulates the kernel's tables for unit tests.
 *
 * <h2>Usage</h2>
 * <pre>{@code
 * Backends backends = Backends.system(new CommandRunner(), List.of(), BackendMode.parse("iptables.backend", "auto"));
 * IptablesReconciler iptables = IptablesReconciler.builder(backends)
 *         .owner(Owner.KEDGE)                      // chains KEDGE-*, comments "kedge: ..."
 *         .resyncPeriod(Duration.ofSeconds(30))
 *         .listener(new SyncListener() { ... })    // optional: export counters, log
 *         .build();
 *
 * // On every catalog change: the complete desired state, not a delta.
 * DesiredState desired = DesiredState.builder(Owner.KEDGE)
 *         .rule(IpFamily.V4, "nat", "KEDGE-SERVICES", Rule.of("default/web:http",
 *                 "-d", "198.18.0.10/32", "-p", "tcp", "--dport", "80",
 *                 "-j", "DNAT", "--to-destination", "169.254.96.16:40001"))
 *         .jump(IpFamily.V4, "nat", Jump.of("PREROUTING", "KEDGE-SERVICES", "from containers"))
 *         .jump(IpFamily.V4, "nat", Jump.of("OUTPUT", "KEDGE-SERVICES", "from this node"))
 *         .build();
 * iptables.update(desired);   // applies now; throws IptablesException if iptables rejects it
 * iptables.start();           // periodic resync
 * ...
 * iptables.stats();           // applies, repairs, failures, last error, last sync time
 * iptables.close();           // stop resyncing and remove every chain and jump of KEDGE-
 *                             // (or stop(): keep the rules for the next run, which then applies nothing)
 * }</pre>
 * {@link io.kedge.iptables.IptablesReconciler#cleanupAll(io.kedge.iptables.backend.Backends, String)}
 * removes everything of a prefix without a reconciler (e.g. a {@code --cleanup} command).
 */
package io.kedge.iptables;
