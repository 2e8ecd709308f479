package org.hpcvirt.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

class ScenarioTest {
    static Path res(String name) {
        try {
            return Path.of(ScenarioTest.class.getResource("/sim/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aGoodFileIsRead() {
        Scenario sc = Scenario.of(Scenario.readSettings(res("hybrid.yaml")), "hybrid.yaml");
        assertThat(sc.nodes()).isEqualTo(4096);
        assertThat(sc.predictor().recall()).isEqualTo(0.6);
        assertThat(sc.platformMtbf()).isEqualTo(10 * 365 * 86400.0 / 4096);
    }

    @Test
    void anUnknownFieldIsNamedWithItsLine() {
        assertThatThrownBy(() -> Scenario.readSettings(res("bad-field.yaml")))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT))
                .hasMessageContaining("line 3").hasMessageContaining("unknown field 'polcy'");
    }

    @Test
    void aBadValueNamesTheField() {
        assertThatThrownBy(() -> Scenario.of(Scenario.readSettings(res("bad-value.yaml")), "bad-value.yaml"))
                .hasMessageStartingWith("bad-value.yaml: checkpointCost: 'sixty' is not a duration");
    }

    @Test
    void outOfRangeValuesAreRejected() {
        assertThatThrownBy(() -> Scenario.of(Map.of("nodes", "0"), "x")).hasMessageContaining("nodes: 0 is outside");
        assertThatThrownBy(() -> Scenario.of(Map.of("recall", "2"), "x")).hasMessageContaining("recall must be in [0, 1]");
        assertThatThrownBy(() -> Scenario.of(Map.of("failures", "gamma"), "x")).hasMessageContaining("unknown failure model 'gamma'");
        assertThatThrownBy(() -> Scenario.of(Map.of("downtime", "trace"), "x")).hasMessageContaining("needs failures: trace");
        assertThatThrownBy(() -> Scenario.of(Map.of("period", "often"), "x")).hasMessageContaining("period");
    }
}
