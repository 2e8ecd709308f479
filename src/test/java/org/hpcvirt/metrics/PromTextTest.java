package org.hpcvirt.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The test's own reader of the text format refuses what Prometheus would refuse (so that passing it means something). */
class PromTextTest {
    private static final String OK = """
            # HELP a_total A counter.
            # TYPE a_total counter
            a_total{vm="x",type="Y"} 3.0
            # HELP h_seconds A histogram.
            # TYPE h_seconds histogram
            h_seconds_bucket{le="0.5"} 1
            h_seconds_bucket{le="+Inf"} 2
            h_seconds_count 2
            h_seconds_sum 1.5
            # TYPE g gauge
            g{v="a \\"q\\" \\\\ b"} NaN
            """;

    @Test
    void readsSamplesAndLabels() {
        PromText p = PromText.parse(OK);
        assertThat(p.value("a_total", "type", "Y", "vm", "x")).isEqualTo(3.0);
        assertThat(p.value("h_seconds_count")).isEqualTo(2);
        assertThat(p.samples("g").get(0).labels()).containsEntry("v", "a \"q\" \\ b");
        assertThat(p.type("h_seconds")).isEqualTo("histogram");
    }

    @Test
    void refusesMalformedExpositions() {
        for (String bad : new String[] {
            "x 1\n", // no TYPE
            "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n", // duplicate series
            "# TYPE x gauge\nx{a=1} 1\n", // unquoted
            "# TYPE x gauge\nx 1", // no final newline
            "# TYPE x gauge\n# TYPE x gauge\nx 1\n", // TYPE twice
            "# TYPE x gauge\nx one\n", // not a number
            "# TYPE x gauge\nx{1a=\"v\"} 1\n", // bad label name
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n", // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\nh_sum 0\n", // count differs
            "# TYPE x gauge\n# TYPE y gauge\ny 1\nx 1\n", // sample outside its family block
        }) {
            assertThatThrownBy(() -> PromText.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
