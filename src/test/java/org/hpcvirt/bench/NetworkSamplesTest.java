package org.hpcvirt.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
