package io.kedge.cloud.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kedge.common.kubeapi.GroupResource;
import io.kedge.common.kubeapi.KubeObjects;
import io.kedge.common.kubeapi.WatchEvent;
import io.kedge.common.kubeapi.store.StoreJournal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * The standalone store's durability: one SQLite database file (WAL, synchronous=FULL) holding every
 * object, the last resourceVersion handed out, and the retained events, so that after a restart the
 * resourceVersion keeps growing from where it was and watches resume where they left off.
 *
 * <p>Each commit is one transaction: objects upserted or deleted, events appended, events at or
 * below the floor forgotten, counters updated. A data directory is used by one process at a time
 * (a lock file enforces it): two caches over one database would disagree.
 */
public final class SqliteJournal implements StoreJournal {
    private static final Logger log = LoggerFactory.getLogger(SqliteJournal.class);
    private static final int SCHEMA_VERSION = 1;
    public static final String DATABASE_FILE = "store.db";
    private static final String LOCK_FILE = "store.lock";

    private final Path database;
    private final FileChannel lockChannel;
    private final Connection db;
    private final PreparedStatement upsert;
    private final PreparedStatement remove;
    private final PreparedStatement insertEvent;
    private final PreparedStatement pruneEvents;
    private final PreparedStatement setMeta;

    /** Opens (or creates) the database in {@code dataDir}; fails clearly when another process holds it. */
    public SqliteJournal(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir + ": " + e.getMessage(), e);
        }
        this.database = dataDir.resolve(DATABASE_FILE);
        this.lockChannel = lockDirectory(dataDir);
        Connection c = null;
        try {
            c = DriverManager.getConnection("jdbc:sqlite:" + database);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                // FULL: a commit that returned survives power loss, not only a crash of this process.
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS objects (api_group TEXT NOT NULL, resource TEXT NOT NULL, "
                        + "namespace TEXT NOT NULL, name TEXT NOT NULL, resource_version INTEGER NOT NULL, body TEXT NOT NULL, "
                        + "PRIMARY KEY (api_group, resource, namespace, name))");
                s.execute("CREATE TABLE IF NOT EXISTS events (resource_version INTEGER PRIMARY KEY, api_group TEXT NOT NULL, "
                        + "resource TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, previous TEXT)");
            }
            checkSchema(c);
            c.setAutoCommit(false);
            upsert = c.prepareStatement("INSERT OR REPLACE INTO objects (api_group, resource, namespace, name, resource_version, body) "
                    + "VALUES (?, ?, ?, ?, ?, ?)");
            remove = c.prepareStatement("DELETE FROM objects WHERE api_group = ? AND resource = ? AND namespace = ? AND name = ?");
            insertEvent = c.prepareStatement("INSERT INTO events (resource_version, api_group, resource, type, body, previous) "
                    + "VALUES (?, ?, ?, ?, ?, ?)");
            pruneEvents = c.prepareStatement("DELETE FROM events WHERE resource_version <= ?");
            setMeta = c.prepareStatement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
            this.db = c;
        } catch (SQLException e) {
            try {
                if (c != null) {
                    c.close();
                }
                lockChannel.close();
            } catch (SQLException | IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("cannot open the store database " + database + ": " + e.getMessage(), e);
        }
    }

    /** Holds an exclusive lock on the directory's lock file for as long as the returned channel is open. */
    private static FileChannel lockDirectory(Path dataDir) {
        Path lockFile = dataDir.resolve(LOCK_FILE);
        try {
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock acquired;
            try {
                acquired = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                acquired = null;
            }
            if (acquired == null) {
                channel.close();
                throw new IllegalStateException("the data directory " + dataDir + " is in use by another process");
            }
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    private static void checkSchema(Connection c) throws SQLException {
        String version = meta(c, "schema_version");
        if (version == null) {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO meta (key, value) VALUES ('schema_version', ?)")) {
                p.setString(1, Integer.toString(SCHEMA_VERSION));
                p.executeUpdate();
            }
        } else if (!version.equals(Integer.toString(SCHEMA_VERSION))) {
            throw new SQLException("schema version " + version + " is not the supported " + SCHEMA_VERSION);
        }
    }

    private static String meta(Connection c, String key) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            p.setString(1, key);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    public Path database() {
        return database;
    }

    @Override
    public Contents load() {
        try {
            String rv = meta(db, "resource_version");
            String floor = meta(db, "event_floor");
            List<StoredObject> objects = new ArrayList<>();
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT api_group, resource, namespace, name, body FROM objects")) {
                while (r.next()) {
                    ObjectNode body = parse(r.getString(5), "object " + r.getString(2) + " " + r.getString(3) + "/" + r.getString(4));
                    if (body != null) {
                        objects.add(new StoredObject(new GroupResource(r.getString(1), r.getString(2)), body));
                    }
                }
            }
            List<WatchEvent> events = new ArrayList<>();
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT resource_version, api_group, resource, type, body, previous FROM events "
                         + "ORDER BY resource_version")) {
                while (r.next()) {
                    long version = r.getLong(1);
                    ObjectNode body = parse(r.getString(5), "event " + version);
                    String previous = r.getString(6);
                    if (body == null) {
                        // An unreadable event breaks the window's completeness: resume only after it.
                        events.clear();
                        floor = Long.toString(version);
                        continue;
                    }
                    events.add(WatchEvent.change(WatchEvent.Type.valueOf(r.getString(4)), new GroupResource(r.getString(2), r.getString(3)),
                            version, body, previous == null ? null : parse(previous, "event " + version + " (previous)")));
                }
            }
            db.commit();
            long last = rv == null ? 0 : Long.parseLong(rv);
            log.info("store loaded from {}: {} objects, resourceVersion {}, {} events retained", database, objects.size(), last,
                    events.size());
            return new Contents(last, objects, events, floor == null ? last : Long.parseLong(floor));
        } catch (SQLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read the store database " + database + ": " + e.getMessage(), e);
        }
    }

    /** A stored JSON document, or null (logged) when it is unreadable: one damaged row must not stop the store. */
    private static ObjectNode parse(String json, String what) {
        try {
            return KubeObjects.JSON.readTree(json) instanceof ObjectNode o ? o : null;
        } catch (JsonProcessingException e) {
            log.error("skipping unreadable {} in the store database: {}", what, e.getOriginalMessage());
            return null;
        }
    }

    @Override
    public void commit(List<WatchEvent> changes, long resourceVersion, long eventFloor) {
        try {
            for (WatchEvent change : changes) {
                ObjectNode o = change.object();
                String ns = KubeObjects.namespace(o);
                if (change.type() == WatchEvent.Type.DELETED) {
                    remove.setString(1, change.resource().group());
                    remove.setString(2, change.resource().resource());
                    remove.setString(3, ns == null ? "" : ns);
                    remove.setString(4, KubeObjects.name(o));
                    remove.executeUpdate();
                } else {
                    upsert.setString(1, change.resource().group());
                    upsert.setString(2, change.resource().resource());
                    upsert.setString(3, ns == null ? "" : ns);
                    upsert.setString(4, KubeObjects.name(o));
                    upsert.setLong(5, change.resourceVersion());
                    upsert.setString(6, KubeObjects.JSON.writeValueAsString(o));
                    upsert.executeUpdate();
                }
                insertEvent.setLong(1, change.resourceVersion());
                insertEvent.setString(2, change.resource().group());
                insertEvent.setString(3, change.resource().resource());
                insertEvent.setString(4, change.type().name());
                insertEvent.setString(5, KubeObjects.JSON.writeValueAsString(o));
                insertEvent.setString(6, change.previous() == null ? null : KubeObjects.JSON.writeValueAsString(change.previous()));
                insertEvent.executeUpdate();
            }
            pruneEvents.setLong(1, eventFloor);
            pruneEvents.executeUpdate();
            setMeta("resource_version", resourceVersion);
            setMeta("event_floor", eventFloor);
            db.commit();
        } catch (SQLException | JsonProcessingException e) {
            try {
                db.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw new IllegalStateException("SQLite commit failed: " + e.getMessage(), e);
        }
    }

    private void setMeta(String key, long value) throws SQLException {
        setMeta.setString(1, key);
        setMeta.setString(2, Long.toString(value));
        setMeta.executeUpdate();
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing {} failed: {}", database, e.getMessage());
        }
        try {
            // Closing the channel releases the lock.
            lockChannel.close();
        } catch (IOException e) {
            log.warn("releasing the data directory lock failed: {}", e.getMessage());
        }
    }
}
