package org.hpcvirt.ft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;

class PolicyMergeTest {
    static Path res(String name) {
        try {
            return Path.of(PolicyMergeTest.class.getResource("/ft/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final CenterRules CENTER = StrictYaml.read(res("center.yaml"), CenterRules.class);
    private static final AdminDefaults ADMIN = StrictYaml.read(res("admin.yaml"), AdminDefaults.class);

    @Test
    void userPicksWithinTheBoundsAndEveryValueNamesItsOrigin() {
        MergedPolicy m = PolicyMerge.merge(CENTER, ADMIN, ProfileFtSection.read(res("profile-long.yaml")));
        assertThat(m.jobClass().value()).isEqualTo("long");
        assertThat(m.policy().value()).isEqualTo(PolicyKind.HYBRID);
        assertThat(m.policy().origin()).isEqualTo("admin (classes.long.policy)");
        assertThat(m.period().value().toString()).isEqualTo("90m");
        assertThat(m.period().origin()).isEqualTo("user (profile ft.period)");
        assertThat(m.action().value()).isEqualTo(ProactiveAction.PAUSE);
        assertThat(m.maxPeriod().origin()).isEqualTo("admin (classes.long.maxCheckpointPeriod)");
        assertThat(m.minPeriod().origin()).isEqualTo("center (minCheckpointPeriod)");
    }

    @Test
    void defaultsApplyWithoutAProfileSection() {
        MergedPolicy m = PolicyMerge.merge(CENTER, ADMIN, null);
        assertThat(m.policy().value()).isEqualTo(PolicyKind.REACTIVE);
        assertThat(m.policy().origin()).isEqualTo("admin (defaults.policy)");
        assertThat(m.period().value()).isEqualTo(PeriodSpec.OPTIMAL);
        assertThat(m.maxPeriod().origin()).isEqualTo("center (maxCheckpointPeriod)");
    }

    @Test
    void aUserPeriodAboveTheClassMaximumNamesTheLevelAndTheRule() {
        assertThatThrownBy(() -> PolicyMerge.merge(CENTER, ADMIN, ProfileFtSection.read(res("profile-too-long.yaml"))))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT))
                .hasMessage("user: period 3h is above the maximum 2h set by admin (classes.long.maxCheckpointPeriod)");
    }

    @Test
    void aPolicyTheCenterDoesNotAllowIsRejected() {
        assertThatThrownBy(() -> PolicyMerge.merge(CENTER, ADMIN, ProfileFtSection.read(res("profile-none-allowed.yaml"))))
                .hasMessage("user: policy 'none' is not allowed by center rule allowedPolicies [reactive, hybrid, proactive]");
    }

    @Test
    void unknownKeysAndFieldsAreRejectedAtEveryLevel() {
        assertThatThrownBy(() -> PolicyMerge.merge(CENTER, ADMIN, ProfileFtSection.read(res("profile-unknown-key.yaml"))))
                .hasMessageContaining("user: unknown key ft.frequency");
        assertThatThrownBy(() -> StrictYaml.read(res("center-unknown-field.yaml"), CenterRules.class))
                .hasMessageContaining("line 2").hasMessageContaining("unknown field 'maxPeriod'");
    }

    @Test
    void anAdminBoundOutsideTheCenterBoundIsAnAdminError() {
        AdminDefaults bad = StrictYaml.read(res("admin-outside-center.yaml"), AdminDefaults.class);
        assertThatThrownBy(() -> PolicyMerge.merge(CENTER, bad, new VmProfile.FtSettings(null, null, "long", Map.of())))
                .hasMessage("admin: classes.long.maxCheckpointPeriod 2d is above the maximum 24h set by center (maxCheckpointPeriod)");
    }

    @Test
    void anUnknownJobClassIsAUserError() {
        assertThatThrownBy(() -> PolicyMerge.merge(CENTER, ADMIN, new VmProfile.FtSettings(null, null, "huge", Map.of())))
                .hasMessage("user: job class 'huge' is not defined by the administrator (admin classes: long, short)");
    }

    @Test
    void aRuleIsResolvedAndClampedToTheBounds() {
        MergedPolicy m = PolicyMerge.merge(CENTER, ADMIN, new VmProfile.FtSettings("reactive", "young", "long", Map.of()));
        // Young for M = 100 h, C = 10 m: sqrt(2·600·360000) = 20 785 s > 2 h, so lowered to 7200 s.
        MergedPolicy.Resolved r = m.resolvePeriod(new IntervalInputs(360_000, 600, 0, 0), PredictorQuality.NONE, 0);
        assertThat(r.seconds()).isEqualTo(7200);
        assertThat(r.note()).contains("admin (classes.long.maxCheckpointPeriod)");
    }
}
