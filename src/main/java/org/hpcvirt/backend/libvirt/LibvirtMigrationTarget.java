package org.hpcvirt.backend.libvirt;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.HpcvirtException;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * Where a libvirt domain migrates to, as the destination's {@link org.hpcvirt.backend.Migratable#acceptIncoming}
 * names it and the source's {@code migrate} reads it: {@code libvirt:LIBVIRT_URI;migrate=MIGRATE_URI;run=RUN_DIR},
 * e.g. {@code libvirt:qemu+tcp://10.200.70.2:16509/system;migrate=tcp://10.200.70.2;run=/home/n2/run/vm}.
 * LIBVIRT_URI is the destination's libvirtd as the source reaches it (its TCP listener), MIGRATE_URI
 * where that libvirtd's QEMU receives the stream (libvirt picks the port), RUN_DIR the destination's run
 * directory: the source rewrites its own run directory to it in the domain XML it sends, so that the
 * arriving domain's agent socket, console log and gdbstub are where the destination's daemon looks.
 * Immutable.
 *
 * @param libvirtUri  the destination's libvirtd, reachable from the source
 * @param migrateUri  libvirt's migration URI ({@code tcp://HOST})
 * @param runDir      the destination's run directory for the VM (absolute)
 */
record LibvirtMigrationTarget(String libvirtUri, String migrateUri, Path runDir) {
    static final String PREFIX = "libvirt:";
    /** Port of the libvirtd TCP listener that migrations use ({@code -Dhpcvirt.libvirt.tcp.port}, default libvirt's 16509). */
    static final int TCP_PORT = Integer.getInteger("hpcvirt.libvirt.tcp.port", 16509);
    private static final Pattern FORM = Pattern.compile("libvirt:(qemu\\+tcp://[^;]+);migrate=(tcp://[^;]+);run=(/.*)");
    private static final Pattern HOST_UUID = Pattern.compile("<host>\\s*<uuid>([^<]+)</uuid>");

    String format() {
        return PREFIX + libvirtUri + ";migrate=" + migrateUri + ";run=" + runDir;
    }

    /**
     * The target for the destination listening on {@code listenUri} ({@code tcp:HOST:PORT}, as
     * hpcvirt's migration protocol gives it; the port is libvirt's to pick and ignored).
     */
    static LibvirtMigrationTarget listeningOn(String listenUri, Path runDir) {
        if (listenUri == null || !listenUri.startsWith("tcp:") || listenUri.lastIndexOf(':') <= 4) {
            throw HpcvirtException.invalid("libvirt migration: '" + listenUri + "' is not tcp:HOST:PORT");
        }
        String host = listenUri.substring(4, listenUri.lastIndexOf(':'));
        return new LibvirtMigrationTarget("qemu+tcp://" + host + ":" + TCP_PORT + "/system", "tcp://" + host,
                runDir.toAbsolutePath().normalize());
    }

    /** Reads a {@link #format()}ted target; INVALID_INPUT naming the text if it is not one. */
    static LibvirtMigrationTarget parse(String uri) {
        Matcher m = FORM.matcher(uri == null ? "" : uri);
        if (!m.matches()) {
            throw HpcvirtException.invalid("libvirt migration: '" + uri + "' is not libvirt:qemu+tcp://HOST:PORT/system;migrate=tcp://HOST;run=DIR"
                    + " (the destination must run the libvirt backend)");
        }
        return new LibvirtMigrationTarget(m.group(1), m.group(2), Path.of(m.group(3)));
    }

    /**
     * Why this node cannot take part in a migration, or empty if it can: its libvirtd (open as
     * {@code local}) must answer on its TCP listener ({@code qemu+tcp://127.0.0.1:TCP_PORT/system})
     * as the same libvirtd (same host UUID), because the other node's libvirt talks to it there.
     */
    static Optional<String> whyNot(Connect local, String localUri, Duration timeout) {
        String tcp = "qemu+tcp://127.0.0.1:" + TCP_PORT + "/system";
        Connect c;
        try {
            c = LibvirtConnection.open(tcp, timeout);
        } catch (HpcvirtException e) {
            return Optional.of("libvirtd at " + localUri + " has no TCP listener on port " + TCP_PORT + " (" + e.getMessage()
                    + "); live migration needs one on both nodes: libvirtd --listen with listen_tcp = 1 and a host_uuid of its own"
                    + " per node in libvirtd.conf (bench/libvirt-pair.sh sets up two)");
        }
        try {
            String mine = hostUuid(local.getCapabilities());
            String there = hostUuid(c.getCapabilities());
            if (mine == null || !mine.equals(there)) {
                return Optional.of(tcp + " is another libvirtd (host UUID " + there + ") than " + localUri + " (" + mine
                        + "): the libvirtd at " + localUri + " must listen on TCP port " + TCP_PORT + " itself");
            }
            return Optional.empty();
        } catch (LibvirtException e) {
            return Optional.of("libvirtd at " + tcp + " answered but failed: " + LibvirtConnection.message(e));
        } finally {
            LibvirtConnection.closeQuietly(c);
        }
    }

    static String hostUuid(String capabilitiesXml) {
        Matcher m = HOST_UUID.matcher(capabilitiesXml);
        return m.find() ? m.group(1).strip() : null;
    }
}
