package org.hpcvirt.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

/** Operation and outcome label values. */
class OperationMetricsTest {
    @Test
    void operationNamesAreSnakeCase() {
        assertThat(OperationMetrics.label("Start")).isEqualTo("start");
        assertThat(OperationMetrics.label("NodeInfo")).isEqualTo("node_info");
        assertThat(OperationMetrics.label("ListVms")).isEqualTo("list_vms");
        assertThat(OperationMetrics.label("SuspendCheckpoint")).isEqualTo("suspend_checkpoint");
    }

    @Test
    void outcomesAreOkOrTheErrorCode() {
        assertThat(OperationMetrics.outcome(null)).isEqualTo("ok");
        assertThat(OperationMetrics.outcome(new HpcvirtException(ErrorCode.WRONG_STATE, "x"))).isEqualTo("wrong_state");
        assertThat(OperationMetrics.outcome(new IllegalStateException("bug"))).isEqualTo("internal");
    }
}
