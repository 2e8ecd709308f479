package org.hpcvirt.enclave.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.enclave.LinkPolicy;
import org.hpcvirt.guest.ExecResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PairCampaignTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        return Files.writeString(dir.resolve("c.yaml"), yaml);
    }

    @Test
    void theExampleLoadsWithItsDefaults() {
        PairCampaignSpec s = PairCampaignSpec.load(Path.of("examples/campaigns/enclave-pair.yaml"));
        assertThat(s.name()).isEqualTo("pairc");
        assertThat(s.policies()).containsExactly(LinkPolicy.ISOLATE, LinkPolicy.FREEZE, LinkPolicy.CASCADE, LinkPolicy.RESTART,
                LinkPolicy.RESTORE_ALL);
        assertThat(s.faults()).extracting(PairCampaignSpec.FaultRuns::fault)
                .containsExactly(PairCampaignSpec.PairFault.BITFLIP, PairCampaignSpec.PairFault.KERNCRASH);
        assertThat(s.linkBytes()).isEqualTo(64 << 10);
        assertThat(s.cores()).containsExactly(0, 1);
    }

    @Test
    void badFieldsAreNamedWithTheirLine() throws IOException {
        assertThatThrownBy(() -> PairCampaignSpec.load(file("name: x\npolicies: [isolate, explode]\nfaults:\n  - fault: kerncrash\n")))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("line 2: field 'policies': 'explode' is not one of");
        assertThatThrownBy(() -> PairCampaignSpec.load(file("name: x\nfaults:\n  - fault: kerncrash\n    bits: 3\n")))
                .hasMessageContaining("line 4: field 'bits': only a bitflip flips bits");
        assertThatThrownBy(() -> PairCampaignSpec.load(file("name: x\nfaults:\n  - fault: bitflip\nlinkSize: 3K\n")))
                .hasMessageContaining("line 4: field 'linkSize': must be a power of two");
        assertThatThrownBy(() -> PairCampaignSpec.load(file("name: x\nfaults:\n  - fault: bitflip\ncores: [1, 1]\n")))
                .hasMessageContaining("field 'cores': must be two different host cores");
        assertThatThrownBy(() -> PairCampaignSpec.load(file("name: x\nfaults: []\n"))).hasMessageContaining("field 'faults'");
        assertThatThrownBy(() -> PairCampaignSpec.load(file("name: x\nfaults:\n  - fault: bitflip\nbogus: 1\n")))
                .hasMessageContaining("bogus");
    }

    @Test
    void theConsumersLineGivesTheOutcome() {
        assertThat(PairCampaign.classify(new ExecResult(0, "consumed 10 from 0 good 10 badsum 0 badseq 0 undetected 0\n", false, 1)))
                .isEqualTo(ConsumerOutcome.CONTINUED);
        assertThat(PairCampaign.classify(new ExecResult(1, "consumed 10 from 0 good 9 badsum 1 badseq 0 undetected 0", false, 1)))
                .isEqualTo(ConsumerOutcome.DETECTED);
        assertThat(PairCampaign.classify(new ExecResult(1, "consumed 10 from 0 good 9 badsum 0 badseq 1 undetected 0", false, 1)))
                .isEqualTo(ConsumerOutcome.DETECTED);
        assertThat(PairCampaign.classify(new ExecResult(1, "consumed 10 from 0 good 9 badsum 0 badseq 0 undetected 1", false, 1)))
                .isEqualTo(ConsumerOutcome.UNDETECTED);
        assertThat(PairCampaign.classify(new ExecResult(4, "consumed 5 from 0 good 5 badsum 0 badseq 0 peer dead", false, 1)))
                .isEqualTo(ConsumerOutcome.TOLD_DEAD);
        assertThat(PairCampaign.classify(new ExecResult(2, "consumed 5 from 0 good 5 badsum 0 badseq 0 timeout", false, 1)))
                .isEqualTo(ConsumerOutcome.STALLED);
        assertThat(PairCampaign.classify(new ExecResult(3, "no ivshmem device", false, 1))).isEqualTo(ConsumerOutcome.BROKEN);
    }

    @Test
    void aFlipLandsInTheMessageAreaAndKnowsWhetherItMetAQueuedMessage() throws IOException {
        Path seg = dir.resolve("seg");
        long slots = PairCampaign.slots(4096);
        ByteBuffer h = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(0x6870637673686d31L).putLong(slots).putLong(100).putLong(90); // head 100, tail 90: seqs 90..99 queued
        Files.write(seg, h.array());
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            byte[] before = Files.readAllBytes(seg);
            PairRun.Flip f = PairCampaign.flip(seg, slots, 0, r);
            byte[] after = Files.readAllBytes(seg);
            assertThat(f.offset()).isBetween(64L, 64 + slots * 64 - 1);
            assertThat((after[(int) f.offset()] ^ before[(int) f.offset()]) & 0xff).isEqualTo(1 << f.bit());
            long newest = 100 - 1 - Math.floorMod(100 - 1 - f.slot(), slots);
            assertThat(f.queued()).as("slot %d", f.slot()).isEqualTo(newest >= 90);
            assertThat(List.of("seq", "sum", "payload")).contains(f.field());
        }
    }
}
