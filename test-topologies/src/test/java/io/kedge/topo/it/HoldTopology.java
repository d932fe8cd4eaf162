package io.kedge.topo.it;

import io.kedge.topo.live.Topology;
import io.kedge.topo.spec.TopologySpec;

/** Test helper: brings a topology up, prints its run id, and waits to be killed (a crashing owner). */
public final class HoldTopology {
    public static void main(String[] args) throws Exception {
        Topology t = Topology.up(TopologySpec.parse("name: held\nsites: [{name: s, nat: port-restricted, hosts: [h1]}]"));
        System.out.println("RUN " + t.runId());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
