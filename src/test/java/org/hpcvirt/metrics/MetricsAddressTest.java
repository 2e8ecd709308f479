package org.hpcvirt.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

/** {@code --metrics ADDR:PORT}: the forms accepted, and errors that name where the value came from. */
class MetricsAddressTest {
    @Test
    void addressPortIpv6AndABarePortForLoopback() {
        assertThat(MetricsAddress.parse("127.0.0.1:9464", "--metrics")).isEqualTo(new MetricsAddress("127.0.0.1", 9464));
        assertThat(MetricsAddress.parse(" 9464 ", "--metrics")).isEqualTo(new MetricsAddress("127.0.0.1", 9464));
        assertThat(MetricsAddress.parse("0.0.0.0:0", "--metrics")).isEqualTo(new MetricsAddress("0.0.0.0", 0));
        assertThat(MetricsAddress.parse("localhost:9100", "--metrics").host()).isEqualTo("localhost");
        MetricsAddress v6 = MetricsAddress.parse("[::1]:9464", "--metrics");
        assertThat(v6).isEqualTo(new MetricsAddress("::1", 9464));
        assertThat(v6).hasToString("[::1]:9464");
        assertThat(MetricsAddress.parse(v6.toString(), "x")).isEqualTo(v6);
    }

    @Test
    void malformedAddressesAreInvalidInputNamingTheSource() {
        for (String bad : new String[] {"", "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:http", "127.0.0.1:70000", "::1:9464",
                "[::1]9464", "a:b:c", "-1", "no-such-host.invalid:9464"}) {
            assertThatThrownBy(() -> MetricsAddress.parse(bad, "HPCVIRT_METRICS")).as("'%s'", bad).isInstanceOf(HpcvirtException.class)
                    .hasMessageStartingWith("HPCVIRT_METRICS: ")
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT));
        }
        assertThatThrownBy(() -> MetricsAddress.parse("127.0.0.1:99999", "--metrics"))
                .hasMessage("--metrics: port 99999 of '127.0.0.1:99999' is out of range (0-65535)");
    }
}
