package org.hpcvirt.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.data.Offset;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

class NetworkSamplesTest {
    @Test
    void filteredPingGivesNearestRankFiguresInNanoseconds() {
        // what busybox ping -A -c 5 | PING_FILTER printed on this machine's loopback
        EnclaveSamples.RoundTrips r = NetworkSamples.ping("0.035\n0.006\n0.004\n0.005\n0.005\n"
                + "5 packets transmitted, 5 packets received, 0% packet loss\n");
        assertThat(r).isEqualTo(new EnclaveSamples.RoundTrips(5, 5, 4_000, 5_000, 35_000, 35_000));
    }

    @Test
    void wholeMillisecondsAndShortFractionsAreScaled() {
        EnclaveSamples.RoundTrips r = NetworkSamples.ping("12\n1.5\n2 packets transmitted, 2 packets received, 0% packet loss");
        assertThat(r.minNs()).isEqualTo(1_500_000);
        assertThat(r.maxNs()).isEqualTo(12_000_000);
    }

    @Test
    void aLostReplyOrAMissingSummaryOrAStrayLineIsAnError() {
        assertThatThrownBy(() -> NetworkSamples.ping("0.5\n2 packets transmitted, 1 packets received, 50% packet loss"))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("1 of 2 replies lost");
        assertThatThrownBy(() -> NetworkSamples.ping("0.5\n0.6\n"))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("no statistics line");
        assertThatThrownBy(() -> NetworkSamples.ping("ping: sendto: Network unreachable"))
                .isInstanceOf(HpcvirtException.class).hasMessage("ping reported 'ping: sendto: Network unreachable'");
    }

    @Test
    void timedStreamUsesTheRealLineAndTheReceiversCount() {
        EnclaveSamples.Stream s = NetworkSamples.stream("real\t0m 1.25s\nuser\t0m 0.10s\nsys\t0m 0.90s\n", "6400000\n", 100_000, 64);
        assertThat(s.count()).isEqualTo(100_000);
        assertThat(s.micros()).isEqualTo(1_250_000);
        assertThat(s.megabytesPerSecond()).isCloseTo(6.4e6 / 1.25e6, Offset.offset(1e-9));
        EnclaveSamples.Stream bulk = NetworkSamples.stream("real\t1m 2.5s", "33554432", 512, 65536);
        assertThat(bulk.micros()).isEqualTo(62_500_000);
        assertThat(bulk.count()).isEqualTo(33554432 / 64);
    }

    @Test
    void aShortReceiveOrNoTimeIsRefused() {
        assertThatThrownBy(() -> NetworkSamples.stream("real\t0m 0.06s", "1024", 100_000, 64))
                .hasMessage("the receiver (6400000 bytes sent) reported '1024'");
        assertThatThrownBy(() -> NetworkSamples.stream("nc: can't connect to remote host: Connection refused", "0", 10, 64))
                .hasMessageContaining("time (no real line)");
    }
}
