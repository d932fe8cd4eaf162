package io.kedge.cloud.store;

import io.kedge.common.kubeapi.store.BuiltinDefaults;
import io.kedge.common.kubeapi.store.MemoryResourceStore;
import java.nio.file.Path;
import java.time.Duration;

/**
 * cloudcore-lite's standalone store: every object in memory, written through to SQLite in
 * {@code dataDir}, with Kubernetes' defaults and ClusterIP allocation on every write.
 */
public final class StandaloneStore {
    private StandaloneStore() {
    }

    /** What the store is opened with. */
    public record Settings(Path dataDir, int eventWindow, boolean autoCreateNamespaces, String serviceClusterIPRange,
                           Duration namespaceCleanupDelay) {
    }

    public static MemoryResourceStore open(Settings settings) {
        MemoryResourceStore.Options options = new MemoryResourceStore.Options(settings.eventWindow(), settings.autoCreateNamespaces(),
                settings.namespaceCleanupDelay(), java.util.List.of(BuiltinDefaults.INSTANCE,
                        new ClusterIpAllocator(settings.serviceClusterIPRange())), null);
        SqliteJournal journal = new SqliteJournal(settings.dataDir());
        try {
            return new MemoryResourceStore(options, journal);
        } catch (RuntimeException e) {
            journal.close();
            throw e;
        }
    }
}
