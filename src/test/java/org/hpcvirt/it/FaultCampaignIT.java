package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.inject.campaign.CampaignReport;
import org.hpcvirt.inject.campaign.CampaignResult;
import org.hpcvirt.inject.campaign.CampaignRunner;
import org.hpcvirt.inject.campaign.CampaignSpec;
import org.hpcvirt.inject.campaign.RunRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small campaign on real TCG guests covering every injector class — guest kernel (kerncrash, sysrq), guest
 * user (segfault), host user (SIGKILL of QEMU), soft errors (bit flips in the workload's buffer and in
 * RIP) — with one bystander VM and snapshot reset between runs, plus a refused E-Zone 1 fault. One run
 * per fault keeps it well under a minute.
 */
class FaultCampaignIT {
    private static TestNode node;
    private static CampaignResult result;
    private static String log;

    @BeforeAll
    static void runCampaign(@TempDir Path dir) throws Exception {
        node = TestNode.create();
        Path file = dir.resolve("it.yaml");
        Files.writeString(file, """
                name: it-all-injectors
                backends: [qemu]
                isolation: [strict]
                faults:
                  - fault: kerncrash
                    options: {delay: 1}
                  - fault: sysrq-crash
                  - fault: segfault
                  - fault: vmm-sigkill
                  - fault: bitflip-workload
                    options: {bits: 1, offset: 8}
                  - fault: bitflip-register
                    options: {register: rip, bit: 62}
                  - fault: host-kernel-panic
                runs: 1
                seed: 7
                bystanders: 1
                parallelism: 1
                vm: {memory: 128M, image: default, heartbeatInterval: 200ms, heartbeatTimeout: 2s}
                timeouts: {boot: 90s, run: 20s}
                """);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path work = Files.createTempDirectory(Path.of("/tmp"), "hvi");
        try {
            result = new CampaignRunner(Daemon.defaultBackends(), node.layout().images(), work,
                    new PrintStream(out, true, StandardCharsets.UTF_8), null).run(CampaignSpec.load(file));
        } finally {
            log = out.toString(StandardCharsets.UTF_8);
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterAll
    static void cleanUp() {
        if (node != null) {
            node.close();
        }
    }

    private static RunRecord run(String fault) {
        return result.records().stream().filter(r -> r.fault().equals(fault)).findFirst()
                .orElseThrow(() -> new AssertionError("no run of " + fault + " in " + result.records() + "\n" + log));
    }

    @Test
    void guestKernelCrashIsDetectedAndContained() {
        RunRecord r = run("kerncrash");
        assertThat(r.outcome()).as(r.toString()).isEqualTo("crash");
        assertThat(r.scope()).isEqualTo("guest");
        assertThat(r.zone()).isEqualTo(3);
        assertThat(r.detectedBy()).as(r.toString()).contains("guest-panicked", "console");
        assertThat(r.detectionLatencyMs()).isBetween(0L, 5000L);
        assertThat(r.hostHealthy()).isTrue();
        assertThat(r.bystandersUnaffected()).as(r.detail()).isTrue();
        assertThat(r.observedEffect()).isEqualTo("limited");
    }

    @Test
    void sysrqCrashIsAPanic() {
        RunRecord r = run("sysrq-crash");
        assertThat(r.outcome()).as(r.toString()).isEqualTo("crash");
        assertThat(r.detectedBy()).as(r.toString()).contains("guest-panicked");
        assertThat(r.bystandersUnaffected()).isTrue();
    }

    @Test
    void guestProcessCrashIsSeenByItsExitStatusAndTheGuestLives() {
        RunRecord r = run("segfault");
        assertThat(r.outcome()).as(r.toString()).isEqualTo("crash");
        assertThat(r.scope()).isEqualTo("process");
        assertThat(r.detectedBy()).containsExactly("exit-status");
        assertThat(r.detail()).contains("exit 139");
        assertThat(r.bystandersUnaffected()).isTrue();
    }

    @Test
    void killedVmmIsDetectedAndOnlyTheVictimDies() {
        RunRecord r = run("vmm-sigkill");
        assertThat(r.outcome()).as(r.toString()).isEqualTo("crash");
        assertThat(r.scope()).isEqualTo("vmm");
        assertThat(r.detectedBy()).first().isEqualTo("vmm-exit");
        assertThat(r.zone()).isEqualTo(2);
        assertThat(r.hostHealthy()).isTrue();
        assertThat(r.bystandersUnaffected()).as(r.detail()).isTrue();
    }

    @Test
    void bitFlipInTheWorkloadBufferIsSilentDataCorruption() {
        RunRecord r = run("bitflip-workload");
        assertThat(r.outcome()).as(r.toString()).isEqualTo("sdc");
        assertThat(r.detected()).isFalse();
        assertThat(r.detail()).contains("≠ golden");
        assertThat(result.golden()).containsKey("qemu/strict");
    }

    @Test
    void nonCanonicalRipCrashesTheVictim() {
        RunRecord r = run("bitflip-register");
        assertThat(r.outcome()).as(r.toString()).isEqualTo("crash");
        assertThat(r.detail()).contains("rip bit 62");
        assertThat(r.detected()).isTrue();
        assertThat(r.bystandersUnaffected()).isTrue();
    }

    @Test
    void hostKernelFaultIsRefusedNotRun() {
        assertThat(result.records()).noneMatch(r -> r.fault().equals("host-kernel-panic"));
        assertThat(result.skipped()).anySatisfy(s -> {
            assertThat(s.fault()).isEqualTo("host-kernel-panic");
            assertThat(s.reason()).startsWith("refused:");
        });
    }

    @Test
    void reportFilesAreWritten(@TempDir Path out) throws Exception {
        CampaignReport.write(result, out);
        assertThat(out.resolve("latency.png")).isNotEmptyFile();
        assertThat(Files.readString(out.resolve("report.md"))).contains("| E3 | qemu | strict | kerncrash | 1 | 1 crash | 1/1");
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv).hasSize(1 + result.records().size());
        Map<?, ?> json = org.hpcvirt.api.Json.mapper().readValue(out.resolve("results.json").toFile(), Map.class);
        assertThat((List<?>) json.get("records")).hasSize(6);
    }
}
