package io.kedge.iptables.it;

import io.kedge.iptables.backend.Variant;

/** The reconciler scenarios with iptables-nft (nf_tables). */
class NftReconcilerIT extends ReconcilerScenarios {
    @Override
    Variant variant() {
        return Variant.NFT;
    }
}
