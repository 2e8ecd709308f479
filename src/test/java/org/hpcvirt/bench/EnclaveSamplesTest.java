package org.hpcvirt.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

class EnclaveSamplesTest {
    @Test
    void pingLineIsParsed() {
        EnclaveSamples.RoundTrips r = EnclaveSamples.roundTrips(
                "pinged 2000 good 2000 min_ns 260 median_ns 270 p99_ns 351 max_ns 549831\n");
        assertThat(r).isEqualTo(new EnclaveSamples.RoundTrips(2000, 2000, 260, 270, 351, 549831));
    }

    @Test
    void aPingWithBadRepliesOrATimeoutIsAnErrorQuotingTheLine() {
        assertThatThrownBy(() -> EnclaveSamples.roundTrips("pinged 10 good 9 min_ns 1 median_ns 2 p99_ns 3 max_ns 4"))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("bad replies").hasMessageContaining("good 9");
        assertThatThrownBy(() -> EnclaveSamples.roundTrips("pinged 17 timeout"))
                .isInstanceOf(HpcvirtException.class).hasMessage("hpcvirt-shmring ping reported 'pinged 17 timeout'");
    }

    @Test
    void timedStreamGivesMegabytesPerSecondOf64ByteMessages() {
        EnclaveSamples.Stream s = EnclaveSamples.stream("consumed 100000 from 0 good 100000 badsum 0 badseq 0 in 20616 us");
        assertThat(s.count()).isEqualTo(100000);
        assertThat(s.micros()).isEqualTo(20616);
        assertThat(s.megabytesPerSecond()).isCloseTo(100000.0 * 64 / 20616, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aStreamWithBadMessagesOrNoTimeIsRefused() {
        assertThatThrownBy(() -> EnclaveSamples.stream("consumed 100 from 0 good 99 badsum 1 badseq 0 in 5 us"))
                .hasMessageContaining("bad messages");
        assertThatThrownBy(() -> EnclaveSamples.stream("consumed 100 from 0 good 100 badsum 0 badseq 0"))
                .hasMessageContaining("hpcvirt-shmring consume reported");
    }

    @Test
    void quantaLineIsParsedAndSpreadsAreRatiosToTheMedian() {
        EnclaveSamples.Quanta q = EnclaveSamples.quanta("noise\nquanta 2000 work 20000 min_ns 900 median_ns 1000 p99_ns 1500 max_ns 8000");
        assertThat(q).isEqualTo(new EnclaveSamples.Quanta(2000, 20000, 900, 1000, 1500, 8000));
        assertThat(q.p99Spread()).isEqualTo(1.5);
        assertThat(q.maxSpread()).isEqualTo(8.0);
        assertThatThrownBy(() -> EnclaveSamples.quanta("usage: hpcvirt-noise quanta COUNT WORK | spin SECONDS"))
                .hasMessageContaining("hpcvirt-noise quanta reported 'usage");
    }

    @Test
    void tableNumbersKeepThreeSignificantDigits() {
        assertThat(EnclaveBenchmark.num(1234.4)).isEqualTo("1234");
        assertThat(EnclaveBenchmark.num(12.34)).isEqualTo("12.3");
        assertThat(EnclaveBenchmark.num(0.271)).isEqualTo("0.27");
    }
}
