package org.hpcvirt.vm.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.profile.VmProfile;

/**
 * SQLite store of VM records and events. One connection, all methods synchronized: the daemon is
 * the only writer, and the volume (a few writes per VM state change) does not need more.
 * The creator closes it.
 */
public final class VmStore implements AutoCloseable {
    /** Stored JSON is read back leniently: a newer version may have added fields. */
    private static final ObjectMapper JSON = Json.mapper();

    private final Connection db;

    /** Opens (creating if needed) the database file. */
    public VmStore(Path file) {
        try {
            db = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS vms (name TEXT PRIMARY KEY, profile TEXT NOT NULL, state TEXT NOT NULL,"
                        + " pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL, run_dir TEXT, created TEXT NOT NULL, updated TEXT NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, vm TEXT,"
                        + " type TEXT NOT NULL, state TEXT, message TEXT NOT NULL, data TEXT NOT NULL)");
                s.execute("CREATE INDEX IF NOT EXISTS events_vm ON events(vm, seq)");
                if (!hasColumn(s, "vms", "owner")) {
                    // VMs recorded before owners existed were defined by whoever ran the daemon
                    s.execute("ALTER TABLE vms ADD COLUMN owner TEXT NOT NULL DEFAULT '" + LEGACY_OWNER + "'");
                }
            }
        } catch (SQLException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot open VM database " + file, e);
        }
    }

    /** The owner of VMs recorded before VMs had owners. */
    public static final String LEGACY_OWNER = "root";

    private static boolean hasColumn(Statement s, String table, String column) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                if (column.equals(rs.getString("name"))) {
                    return true;
                }
            }
            return false;
        }
    }

    public synchronized void insert(VmRecord r) {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO vms(name, profile, state, pid, start_ticks, run_dir, created, updated, owner) VALUES (?,?,?,?,?,?,?,?,?)")) {
            bind(ps, r);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (e.getMessage() != null && e.getMessage().contains("UNIQUE")) {
                throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "VM '" + r.name() + "' is already defined");
            }
            throw failure("insert " + r.name(), e);
        }
    }

    public synchronized void update(VmRecord r) {
        try (PreparedStatement ps = db.prepareStatement(
                "UPDATE vms SET name=?, profile=?, state=?, pid=?, start_ticks=?, run_dir=?, created=?, updated=?, owner=? WHERE name=?")) {
            bind(ps, r);
            ps.setString(10, r.name());
            if (ps.executeUpdate() != 1) {
                throw HpcvirtException.notFound("VM '" + r.name() + "'");
            }
        } catch (SQLException e) {
            throw failure("update " + r.name(), e);
        }
    }

    public synchronized void delete(String name) {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM vms WHERE name=?")) {
            ps.setString(1, name);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw failure("delete " + name, e);
        }
    }

    public synchronized Optional<VmRecord> get(String name) {
        try (PreparedStatement ps = db.prepareStatement("SELECT * FROM vms WHERE name=?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw failure("read " + name, e);
        }
    }

    public synchronized List<VmRecord> all() {
        List<VmRecord> out = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM vms ORDER BY name")) {
            while (rs.next()) {
                out.add(read(rs));
            }
            return out;
        } catch (SQLException e) {
            throw failure("list", e);
        }
    }

    /** Persists an event and returns it with its sequence number. */
    public synchronized VmEvent append(VmEvent ev) {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO events(time, vm, type, state, message, data) VALUES (?,?,?,?,?,?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, ev.time().toString());
            ps.setString(2, ev.vm());
            ps.setString(3, ev.type().name());
            ps.setString(4, ev.state() == null ? null : ev.state().name());
            ps.setString(5, ev.message());
            ps.setString(6, JSON.writeValueAsString(ev.data()));
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return ev.withSeq(keys.getLong(1));
            }
        } catch (SQLException | java.io.IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot persist event", e);
        }
    }

    /** Events with seq greater than {@code afterSeq}, optionally of one VM, oldest first, at most {@code limit}. */
    /** The sequence number of the newest event, 0 if there is none. */
    public synchronized long lastSeq() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM events")) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw failure("read the last event", e);
        }
    }

    public synchronized List<VmEvent> events(String vm, long afterSeq, int limit) {
        String sql = "SELECT * FROM events WHERE seq > ?" + (vm == null ? "" : " AND vm = ?") + " ORDER BY seq LIMIT ?";
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            int i = 1;
            ps.setLong(i++, afterSeq);
            if (vm != null) {
                ps.setString(i++, vm);
            }
            ps.setInt(i, limit);
            List<VmEvent> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String st = rs.getString("state");
                    Map<String, Object> data = JSON.readValue(rs.getString("data"), new TypeReference<Map<String, Object>>() { });
                    out.add(new VmEvent(rs.getLong("seq"), Instant.parse(rs.getString("time")), rs.getString("vm"),
                            VmEvent.Type.valueOf(rs.getString("type")), st == null ? null : VmState.valueOf(st),
                            rs.getString("message"), data));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read events", e);
        } catch (java.io.IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "VM database: stored event data unreadable", e);
        }
    }

    private static void bind(PreparedStatement ps, VmRecord r) throws SQLException {
        try {
            ps.setString(1, r.name());
            ps.setString(2, JSON.writeValueAsString(r.profile()));
            ps.setString(3, r.state().name());
            ps.setLong(4, r.pid());
            ps.setLong(5, r.startTicks());
            ps.setString(6, r.runDir() == null ? null : r.runDir().toString());
            ps.setString(7, r.created().toString());
            ps.setString(8, r.updated().toString());
            ps.setString(9, r.owner());
        } catch (java.io.IOException e) {
            throw new SQLException("cannot serialise profile", e);
        }
    }

    private static VmRecord read(ResultSet rs) throws SQLException {
        try {
            String dir = rs.getString("run_dir");
            return new VmRecord(JSON.readValue(rs.getString("profile"), VmProfile.class), VmState.valueOf(rs.getString("state")),
                    rs.getLong("pid"), rs.getLong("start_ticks"), dir == null ? null : Path.of(dir),
                    Instant.parse(rs.getString("created")), Instant.parse(rs.getString("updated")), rs.getString("owner"));
        } catch (java.io.IOException e) {
            throw new SQLException("stored profile of " + rs.getString("name") + " is unreadable", e);
        }
    }

    private static HpcvirtException failure(String what, SQLException e) {
        return new HpcvirtException(ErrorCode.INTERNAL, "VM database: cannot " + what, e);
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            // closing; nothing to recover
        }
    }
}
