package org.hpcvirt.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VmStateTest {
    @Test
    void lifecycleTransitions() {
        assertThat(VmState.DEFINED.canMoveTo(VmState.STARTING)).isTrue();
        assertThat(VmState.DEFINED.canMoveTo(VmState.RUNNING)).isFalse();
        assertThat(VmState.STARTING.canMoveTo(VmState.RUNNING)).isTrue();
        assertThat(VmState.RUNNING.canMoveTo(VmState.PAUSED)).isTrue();
        assertThat(VmState.PAUSED.canMoveTo(VmState.RUNNING)).isTrue();
        assertThat(VmState.PAUSED.canMoveTo(VmState.PAUSED)).isFalse();
        assertThat(VmState.RUNNING.canMoveTo(VmState.HUNG)).isTrue();
        assertThat(VmState.PAUSED.canMoveTo(VmState.HUNG)).as("a paused guest is silent on purpose").isFalse();
        assertThat(VmState.HUNG.canMoveTo(VmState.RUNNING)).isTrue();
        assertThat(VmState.PANICKED.canMoveTo(VmState.RUNNING)).isFalse();
        assertThat(VmState.STOPPED.canMoveTo(VmState.STARTING)).isTrue();
        assertThat(VmState.CRASHED.canMoveTo(VmState.STARTING)).isTrue();
        assertThat(VmState.STOPPED.canMoveTo(VmState.STOPPING)).isFalse();
    }

    @Test
    void everyStateButDestroyedCanBeDestroyed() {
        for (VmState s : VmState.values()) {
            assertThat(s.canMoveTo(VmState.DESTROYED)).isEqualTo(s != VmState.DESTROYED);
        }
    }

    @Test
    void destroyedIsFinal() {
        for (VmState s : VmState.values()) {
            assertThat(VmState.DESTROYED.canMoveTo(s)).isFalse();
        }
    }

    @Test
    void activeStatesAreThoseWithAProcess() {
        assertThat(VmState.RUNNING.isActive()).isTrue();
        assertThat(VmState.PANICKED.isActive()).isTrue();
        assertThat(VmState.STOPPED.isActive()).isFalse();
        assertThat(VmState.CRASHED.isActive()).isFalse();
        assertThat(VmState.DEFINED.isActive()).isFalse();
    }
}
