package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hpcvirt.enclave.LinkPolicy;
import org.hpcvirt.enclave.campaign.ConsumerOutcome;
import org.hpcvirt.enclave.campaign.PairCampaign;
import org.hpcvirt.enclave.campaign.PairCampaignReport;
import org.hpcvirt.enclave.campaign.PairCampaignResult;
import org.hpcvirt.enclave.campaign.PairCampaignSpec;
import org.hpcvirt.enclave.campaign.PairCampaignSpec.FaultRuns;
import org.hpcvirt.enclave.campaign.PairCampaignSpec.PairFault;
import org.hpcvirt.enclave.campaign.PairRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A campaign over a composed pair on real TCG guests: for each link error policy a producer and a
 * consumer enclave (one core each) run hpcvirt-shmring over a 1 MiB link; the host flips bits in
 * the segment while the ring runs (two runs per policy, sharing one boot), and the producer's guest
 * kernel crashes (one run per policy; restore-all has a composite checkpoint taken right after boot). Asserted per run, from what the consumer reported and the
 * daemon did: a flip that met a queued message is caught by the checks, none passes them unnoticed;
 * after the crash the consumer is told the segment is dead (isolate), paused (freeze), stopped
 * (cascade), receives every message from the restarted producer (restart), or is restored with
 * the producer and the ring continues from the checkpoint (restore-all).
 */
class EnclaveCampaignIT {
    private static final String NAME = "encamp";
    private static TestNode node;

    @BeforeAll
    static void startNode() throws IOException {
        node = TestNode.start();
        Files.writeString(node.layout().home().resolve("enclave-node.yaml"), "reservedCores: []\n");
    }

    @AfterAll
    static void stopNode() throws IOException {
        EnclaveLeftovers.closeAndRemove(node, List.of(NAME + "-p", NAME + "-c"), List.of(Path.of("/dev/shm/hpcvirt-link-" + NAME)));
    }

    @Test
    void eachPolicyGivesTheConsumerItsOwnOutcome(@TempDir Path out) throws IOException {
        PairCampaignSpec spec = new PairCampaignSpec(NAME, List.of(LinkPolicy.values()),
                List.of(new FaultRuns(PairFault.KERNCRASH, 1, 1), new FaultRuns(PairFault.BITFLIP, 2, 1)), 11, List.of(0, 1), 1L << 20,
                128L << 20, 20_000, Duration.ofSeconds(120), Duration.ofSeconds(90));
        PairCampaignResult r = new PairCampaign(node.client(), new PrintStream(System.out, true)).run(spec);
        PairCampaignReport.write(r, out);
        System.out.print(Files.readString(out.resolve("report.md")));

        assertThat(r.runs()).hasSize(5 * 3);
        assertThat(r.runs()).noneMatch(x -> x.outcome().equals(ConsumerOutcome.BROKEN.id()));
        // bit flips: never unnoticed; a flip into a message still to be read is caught; the consumer runs on
        List<PairRun> flips = r.runs().stream().filter(x -> x.fault().equals("bitflip")).toList();
        assertThat(flips).hasSize(10).allSatisfy(x -> {
            assertThat(x.flips()).hasSize(1);
            assertThat(x.consumerState()).isEqualTo("RUNNING");
            assertThat(x.outcome()).isIn(ConsumerOutcome.DETECTED.id(), ConsumerOutcome.CONTINUED.id());
            assertThat(x.consumerLine()).endsWith("undetected 0");
            if (x.flips().get(0).queued()) {
                assertThat(x.outcome()).as(x.consumerLine()).isEqualTo(ConsumerOutcome.DETECTED.id());
            }
        });
        // the producer fills the ring before the consumer starts, so flips meet queued messages
        assertThat(flips).anyMatch(x -> x.flips().get(0).queued());
        Map<String, String> crash = Map.of("isolate", ConsumerOutcome.TOLD_DEAD.id(), "freeze", ConsumerOutcome.FROZEN.id(),
                "cascade", ConsumerOutcome.STOPPED.id(), "restart", ConsumerOutcome.CONTINUED.id(), "restore-all", ConsumerOutcome.RESTORED.id());
        for (PairRun x : r.runs().stream().filter(x -> x.fault().equals("kerncrash")).toList()) {
            assertThat(x.outcome()).as(x.policy() + ": " + x.consumerLine() + " " + x.decisions()).isEqualTo(crash.get(x.policy()));
            assertThat(x.decisions()).anySatisfy(d -> assertThat(d).startsWith(NAME + "-c: link '" + NAME + "': enclave '" + NAME
                    + "-p' failed (GUEST_PANICKED, PANICKED); policy " + x.policy()));
            switch (x.policy()) {
                case "isolate" -> {
                    assertThat(x.consumerExit()).isEqualTo(4);
                    assertThat(x.consumerLine()).endsWith("peer dead");
                    assertThat(x.consumerState()).isEqualTo("RUNNING");
                }
                case "freeze" -> assertThat(x.consumerState()).isEqualTo("PAUSED");
                case "cascade" -> assertThat(x.consumerState()).isEqualTo("STOPPED");
                case "restore-all" -> {
                    // both came back from the composite checkpoint taken right after boot: the ring goes on from its tail, 0
                    assertThat(x.consumerLine()).startsWith("consumed 2000 from 0 good 2000 badsum 0 badseq 0");
                    assertThat(x.decisions()).anySatisfy(d -> assertThat(d).startsWith(NAME + "-p: policy restore-all:")
                            .contains("runs again from checkpoint set enclaves-"));
                }
                default -> {
                    assertThat(x.consumerLine()).contains("good 20000 badsum 0 badseq 0").endsWith("undetected 0");
                    assertThat(x.decisions()).anySatisfy(d -> assertThat(d).contains("booting it afresh"));
                }
            }
        }
        assertThat(r.counts()).containsOnlyKeys("isolate", "freeze", "cascade", "restart", "restore-all");
        assertThat(Files.readString(out.resolve("report.md"))).contains("| isolate | kerncrash | 1 |");
        assertThat(out.resolve("results.json")).isNotEmptyFile();
        assertThat(node.client().list()).noneMatch(s -> s.name().startsWith(NAME));
    }
}
