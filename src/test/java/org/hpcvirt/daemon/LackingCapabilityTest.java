package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.LaunchSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Asking a backend for what it lacks is refused before anything starts, naming the backend, the
 * capability and the backend's reason: a profile with a fault-tolerance policy, a migration.
 */
class LackingCapabilityTest {
    private static final String PROFILE = "name: %s\nbackend: fake\ncpus: 1\nmemory: 64M\nheartbeat:\n  interval: 100ms\n"
            + "  timeout: 30s\n";
    private FakeNode fake;

    @BeforeEach
    void setUp() throws IOException {
        fake = new FakeNode("hv-lack");
        fake.backend.lack("Checkpointable", "the fake cannot save state");
        fake.backend.lack("Migratable", "the fake has no second host");
    }

    @AfterEach
    void tearDown() throws IOException {
        fake.close();
    }

    private static HpcvirtException refusal(Runnable r) {
        try {
            r.run();
        } catch (HpcvirtException e) {
            return e;
        }
        throw new AssertionError("not refused");
    }

    @Test
    void aProfileWithAFaultTolerancePolicyOnABackendWithoutCheckpointsIsNotDefined() {
        HpcvirtException e = refusal(() -> fake.run(new Operation.Define(String.format(PROFILE, "ft1") + "ft:\n  policy: reactive\n",
                "ft1.yaml", null)));
        assertThat(e.code()).isEqualTo(ErrorCode.REFUSED);
        assertThat(e.getMessage()).isEqualTo("defining 'ft1' with fault-tolerance policy 'reactive': backend 'fake' has no"
                + " checkpoint (the fake cannot save state)");
        assertThatThrownBy(() -> fake.state("ft1")).isInstanceOf(HpcvirtException.class).hasMessageContaining("not found");
        // without a policy, or with policy none, the same backend is fine
        fake.run(new Operation.Define(String.format(PROFILE, "ft2") + "ft:\n  policy: none\n", "ft2.yaml", null));
        assertThat(fake.state("ft2")).isEqualTo(VmState.DEFINED);
    }

    @Test
    void aMigrationIsRefusedBeforeTheDestinationIsContacted() throws Exception {
        fake.running("m1", PROFILE);
        int calls = fake.backend.last().calls().size();
        HpcvirtException e = refusal(() -> fake.run(new Operation.Migrate("m1", "http://127.0.0.1:9", null, null, null, null)));
        assertThat(e.code()).isEqualTo(ErrorCode.REFUSED);
        assertThat(e.getMessage()).isEqualTo("migrating 'm1': backend 'fake' has no migrate (the fake has no second host)");
        assertThat(fake.state("m1")).isEqualTo(VmState.RUNNING);
        assertThat(fake.backend.last().calls()).hasSize(calls);
    }

    @Test
    void withoutAReasonOfItsOwnTheRefusalSaysItIsNotImplemented() {
        Backend bare = new Backend() {
            public String name() {
                return "bare";
            }

            public String description() {
                return "no capabilities";
            }

            public ProbeResult probe() {
                return ProbeResult.ok("1");
            }

            public Instance launch(LaunchSpec spec) {
                throw new UnsupportedOperationException();
            }

            public Instance attach(InstanceRecord record) {
                throw new UnsupportedOperationException();
            }
        };
        BackendRegistry r = new BackendRegistry(java.util.List.of(bare));
        assertThat(r.lacking("bare", Migratable.class, "migrate").getMessage())
                .isEqualTo("migrate: backend 'bare' has no migrate (not declared by backend 'bare')");
    }
}
