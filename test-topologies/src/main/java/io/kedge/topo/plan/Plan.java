package io.kedge.topo.plan;

import java.util.List;
import java.util.Optional;

/**
 * A topology resolved to namespaces, addresses and the exact commands that build it. Pure data:
 * {@link io.kedge.topo.live.Topology} executes it.
 *
 * @param runId  short random id; every namespace of the run is named {@code kt-<runId>-...}
 * @param name   the topology's declared name
 * @param nodes  every namespace of the run, switches and gateways included
 * @param steps  commands, in order, that bring the topology up from nothing
 */
public record Plan(String runId, String name, List<Node> nodes, List<Step> steps) {
    /** Prefix of every namespace this project creates; how a crashed run's leftovers are found. */
    public static final String NAMESPACE_PREFIX = "kt-";

    public Plan {
        nodes = List.copyOf(nodes);
        steps = List.copyOf(steps);
    }

    public static String namespacePrefix(String runId) {
        return NAMESPACE_PREFIX + runId + "-";
    }

    public Optional<Node> node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name) && n.kind() != Node.Kind.SWITCH).findFirst();
    }

    /** Hosts that a user addresses by name: public hosts, site hosts, pods and the probe. */
    public List<Node> hosts() {
        return nodes.stream().filter(n -> n.kind() == Node.Kind.PUBLIC || n.kind() == Node.Kind.HOST
                || n.kind() == Node.Kind.PROBE || n.kind() == Node.Kind.POD).toList();
    }

    public List<String> namespaces() {
        return nodes.stream().map(Node::namespace).toList();
    }
}
