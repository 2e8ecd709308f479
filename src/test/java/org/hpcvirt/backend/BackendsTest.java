package org.hpcvirt.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.hpcvirt.backend.qemu.gdb.ScriptedGdbStub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default registry, without starting QEMU. */
class BackendsTest {
    @TempDir
    Path run;

    @Test
    void theDefaultsAreQemuKvmLibvirtAndContainerAndThoseThatCannotReceiveMigrationsSayWhy() {
        BackendRegistry r = Backends.defaults();
        assertThat(r.all()).extracting(Backend::name).containsExactly("qemu", "kvm", "libvirt", "container");
        for (String vm : java.util.List.of("qemu", "kvm")) {
            assertThat(r.get(vm).capability(IncomingLaunch.class)).as(vm).get().isNotSameAs(r.get(vm));
        }
        assertThat(r.get("libvirt").capability(IncomingLaunch.class)).isEmpty();
        assertThat(r.get("container").capability(IncomingLaunch.class)).isEmpty();
        assertThat(r.lacking("libvirt", IncomingLaunch.class, "receive a migration").getMessage())
                .startsWith("receive a migration: backend 'libvirt' has no migrate (");
    }

    /** What the CLI does while the daemon holds the VM: memory access from the record alone (QEMU's gdb socket in the run directory). */
    @Test
    void memoryAccessFromARecordReachesTheGdbSocketInItsRunDirectory() throws Exception {
        ScriptedGdbStub stub = ScriptedGdbStub.onUnixSocket(run.resolve("gdb.sock"), p -> switch (p.charAt(0)) {
            case 'm' -> "5a";
            case 'Q', 'D' -> "OK";
            default -> "";
        });
        try {
            MemoryAccess m = Backends.defaults().memoryAccessOf(new InstanceRecord("qemu", 1, 0, run)).orElseThrow();
            try (MemoryAccess.Session s = m.open(Duration.ofSeconds(5))) {
                assertThat(s.read(0x2000, 1)).containsExactly(0x5a);
            }
            assertThat(stub.seen()).contains("m2000,1").endsWith("D");
        } finally {
            stub.stop();
        }
    }
}
