package io.kedge.iptables.it;

import io.kedge.iptables.backend.Variant;

/** The reconciler scenarios with iptables-legacy (x_tables). */
class LegacyReconcilerIT extends ReconcilerScenarios {
    @Override
    Variant variant() {
        return Variant.LEGACY;
    }
}
