package io.kedge.cloud.sync;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Acknowledged versions in SQLite ({@code sync.db} in the data directory): standalone mode's store,
 * and cluster mode's when the cluster has no ObjectSync CRDs. Writes come in batches (one transaction
 * per batch of ACKs).
 */
public final class SqliteSyncRecords implements SyncRecords {
    private final Connection db;

    public SqliteSyncRecords(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("sync.db"));
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                // NORMAL in WAL mode: a crash of the machine may lose the last ACK records, which only
                // means the object is sent again; the edge's upserts are idempotent.
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS object_sync (node TEXT NOT NULL, uid TEXT NOT NULL, type TEXT NOT NULL, "
                        + "namespace TEXT, name TEXT NOT NULL, resource_version TEXT NOT NULL, PRIMARY KEY (node, uid))");
            }
            db.setAutoCommit(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataDir + ": " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the sync records in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Map<String, Acked> forNode(String node) {
        Map<String, Acked> out = new HashMap<>();
        try (PreparedStatement q = db.prepareStatement("SELECT uid, type, namespace, name, resource_version FROM object_sync WHERE node = ?")) {
            q.setString(1, node);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new Acked(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
                }
            }
            db.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the sync records of " + node + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** One transaction per batch. */
    @Override
    public synchronized void apply(List<Change> changes) {
        if (changes.isEmpty()) {
            return;
        }
        try (PreparedStatement put = db.prepareStatement("INSERT OR REPLACE INTO object_sync (node, uid, type, namespace, name, "
                + "resource_version) VALUES (?, ?, ?, ?, ?, ?)");
             PreparedStatement del = db.prepareStatement("DELETE FROM object_sync WHERE node = ? AND uid = ?")) {
            for (Change c : changes) {
                if (c.acked() == null) {
                    del.setString(1, c.node());
                    del.setString(2, c.uid());
                    del.addBatch();
                } else {
                    put.setString(1, c.node());
                    put.setString(2, c.uid());
                    put.setString(3, c.acked().kubeEdgeType());
                    put.setString(4, c.acked().namespace());
                    put.setString(5, c.acked().name());
                    put.setString(6, c.acked().resourceVersion());
                    put.addBatch();
                }
            }
            put.executeBatch();
            del.executeBatch();
            db.commit();
        } catch (SQLException e) {
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // the connection is unusable; the next batch reports it
            }
            throw new IllegalStateException("cannot record " + changes.size() + " acknowledgements: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized long count() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM object_sync")) {
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
