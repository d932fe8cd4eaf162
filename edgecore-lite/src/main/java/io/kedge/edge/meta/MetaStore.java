package io.kedge.edge.meta;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeedge.ResourceVersions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge node's copy of the cluster's objects (SQLite {@code edgecore.db}, table {@code meta_v2}),
 * keyed by resource path ({@code <namespace>/<type>/<name>}) with the cloud's resourceVersion.
 *
 * <p>Writes are idempotent and ordered by version: an upsert applies only when it is newer than what
 * is stored; a delete leaves a tombstone with its version, so a late or repeated older upsert cannot
 * bring the object back. A batch of changes is one transaction (synchronous=FULL): the EdgeHub
 * acknowledges only after it committed.
 */
public final class MetaStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetaStore.class);
    public static final String FILE = "edgecore.db";

    /** One change from the cloud. {@code object} is null only for deletes of objects never seen. */
    public record Change(String path, String kubeEdgeType, String namespace, String name, String resourceVersion, boolean delete,
                         ObjectNode object) {
    }

    /** A stored, live object. */
    public record Stored(String path, String kubeEdgeType, String resourceVersion, ObjectNode object) {
    }

    private final Connection db;
    private final PreparedStatement select;
    private final PreparedStatement upsert;

    public MetaStore(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(FILE));
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS meta_v2 (key TEXT PRIMARY KEY, type TEXT NOT NULL, namespace TEXT, "
                        + "name TEXT NOT NULL, resource_version TEXT NOT NULL, deleted INTEGER NOT NULL, value TEXT)");
            }
            db.setAutoCommit(false);
            select = db.prepareStatement("SELECT resource_version FROM meta_v2 WHERE key = ?");
            upsert = db.prepareStatement("INSERT OR REPLACE INTO meta_v2 (key, type, namespace, name, resource_version, deleted, value) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataDir + ": " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open " + dataDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies a batch in one transaction.
     *
     * @return for each change, whether it changed the store (false: stale or a repeat, still to be ACKed)
     * @throws IllegalStateException when the transaction failed (nothing of the batch is stored; do not ACK)
     */
    public synchronized boolean[] apply(List<Change> changes) {
        boolean[] applied = new boolean[changes.size()];
        try {
            for (int i = 0; i < changes.size(); i++) {
                Change c = changes.get(i);
                select.setString(1, c.path());
                String stored = null;
                try (ResultSet rs = select.executeQuery()) {
                    if (rs.next()) {
                        stored = rs.getString(1);
                    }
                }
                boolean newer = stored == null || (c.delete()
                        ? ResourceVersions.compare(c.resourceVersion(), stored) >= 0
                        : ResourceVersions.newer(c.resourceVersion(), stored));
                if (!newer) {
                    continue;
                }
                upsert.setString(1, c.path());
                upsert.setString(2, c.kubeEdgeType());
                upsert.setString(3, c.namespace());
                upsert.setString(4, c.name());
                upsert.setString(5, c.resourceVersion());
                upsert.setInt(6, c.delete() ? 1 : 0);
                upsert.setString(7, c.delete() || c.object() == null ? null : c.object().toString());
                upsert.executeUpdate();
                applied[i] = true;
            }
            db.commit();
            return applied;
        } catch (SQLException e) {
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // reported below
            }
            throw new IllegalStateException("cannot store " + changes.size() + " changes: " + e.getMessage(), e);
        }
    }

    /** Every live object (tombstones excluded); unreadable rows are skipped and logged, never fatal. */
    public synchronized List<Stored> live() {
        List<Stored> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT key, type, resource_version, value FROM meta_v2 WHERE deleted = 0")) {
            while (rs.next()) {
                try {
                    JsonNode node = KubeObjects.JSON.readTree(rs.getString(4));
                    if (node instanceof ObjectNode o) {
                        out.add(new Stored(rs.getString(1), rs.getString(2), rs.getString(3), o));
                    }
                } catch (JsonProcessingException | IllegalArgumentException e) {
                    log.warn("skipping damaged row {}: {}", rs.getString(1), e.getMessage());
                }
            }
            db.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read " + FILE + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Live objects (for metrics). */
    public synchronized long count() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM meta_v2 WHERE deleted = 0")) {
            long n = rs.next() ? rs.getLong(1) : 0;
            db.commit();
            return n;
        } catch (SQLException e) {
            return -1;
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
