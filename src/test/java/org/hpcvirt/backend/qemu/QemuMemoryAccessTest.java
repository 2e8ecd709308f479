package org.hpcvirt.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.qemu.gdb.GdbRemote;
import org.hpcvirt.backend.qemu.gdb.ScriptedGdbStub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QEMU's MemoryAccess against a scripted gdbstub on the run directory's gdb socket. */
class QemuMemoryAccessTest {
    private static final Duration T = Duration.ofSeconds(5);
    @TempDir
    Path run;
    private ScriptedGdbStub stub;

    @AfterEach
    void stopStub() throws InterruptedException {
        if (stub != null) {
            stub.stop();
        }
    }

    /** Answers like QEMU: memory reads {@code a5}, rip (register 16) is 0x10, writes and detach OK. */
    private static String qemuLike(String payload) {
        byte[] rip = new byte[8];
        rip[0] = 0x10;
        return switch (payload.charAt(0)) {
            case 'm' -> "a5".repeat(Integer.parseInt(payload.substring(payload.indexOf(',') + 1), 16));
            case 'M', 'P', 'D', 'Q' -> "OK";
            case 'p' -> HexFormat.of().formatHex(rip);
            case 'q' -> payload.startsWith("qXfer") ? "l<target><architecture>i386:x86-64</architecture></target>" : "";
            case '?' -> "T05thread:01;";
            default -> "";
        };
    }

    private MemoryAccess access(ScriptedGdbStub.Script script) throws Exception {
        stub = ScriptedGdbStub.onUnixSocket(run.resolve(QemuCommandLine.GDB_SOCKET), script);
        return QemuMemoryAccess.inRunDir(run);
    }

    @Test
    void memorySessionIsPhysicalAndResetsTheModeAndDetachesOnClose() throws Exception {
        MemoryAccess m = access(QemuMemoryAccessTest::qemuLike);
        try (MemoryAccess.Session s = m.open(T)) {
            assertThat(s.read(0x1000, 2)).containsExactly(0xa5, 0xa5);
            s.write(0x1001, new byte[] {0x24});
        }
        assertThat(stub.seen()).containsExactly("qSupported:swbreak+;hwbreak+", "?", "Qqemu.PhyMemMode:1", "m1000,2", "M1001,1:24",
                "Qqemu.PhyMemMode:0", "D");
        await().atMost(T).until(() -> !stub.serving());
    }

    @Test
    void registerSessionReadsAndWritesOneRegisterWithoutTouchingTheMemoryMode() throws Exception {
        MemoryAccess m = access(QemuMemoryAccessTest::qemuLike);
        try (MemoryAccess.Session s = m.open(T)) {
            long rip = s.readRegister("rip");
            assertThat(rip).isEqualTo(0x10L);
            s.writeRegister("rip", rip | (1L << 62));
            assertThatThrownBy(() -> s.readRegister("eflags")).isInstanceOf(HpcvirtException.class)
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT))
                    .hasMessageContaining("rip");
        }
        assertThat(stub.seen()).containsExactly("qSupported:swbreak+;hwbreak+", "?", "qXfer:features:read:target.xml:0,fff", "p10",
                "P10=1000000000000040", "D");
    }

    @Test
    void aRefusedDetachIsReportedButTheConnectionIsReleasedOnce() throws Exception {
        MemoryAccess m = access(p -> p.equals("D") ? "E01" : qemuLike(p));
        MemoryAccess.Session s = m.open(T);
        s.read(0, 1);
        assertThatThrownBy(s::close).isInstanceOf(HpcvirtException.class).hasMessageContaining("E01");
        await().atMost(T).until(() -> !stub.serving());
        s.close();
        assertThat(stub.seen()).containsExactly("qSupported:swbreak+;hwbreak+", "?", "Qqemu.PhyMemMode:1", "m0,1",
                "Qqemu.PhyMemMode:0", "D");
    }

    @Test
    void noStubIsAClearError() {
        MemoryAccess m = QemuMemoryAccess.inRunDir(run);
        assertThatThrownBy(() -> m.open(T)).isInstanceOf(HpcvirtException.class).hasMessageContaining("gdbstub")
                .hasMessageContaining(run.resolve(QemuCommandLine.GDB_SOCKET).toString());
    }

    @Test
    void theSpiNamesTheRegistersTheGdbClientKnows() {
        assertThat(MemoryAccess.X86_64_REGISTERS).isEqualTo(Set.copyOf(GdbRemote.X86_64_REGISTERS.keySet()));
    }
}
