package org.hpcvirt.vse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's deployment records: written whole, listed by job id, bad ids refused. */
class DeploymentRecordsTest {
    @Test
    void recordsAreWrittenWholeAndListedByJobId(@TempDir Path home) throws Exception {
        DeploymentRecords r = new DeploymentRecords(home);
        assertThat(r.list()).isEmpty();
        r.put("12", Map.of("node", "hvs-n1", "vms", List.of("j12-hvs-n1-0")));
        r.put("9", Map.of("node", "hvs-n1", "role", "spare", "vms", List.of(), "spares", List.of("hvs-n1")));
        Files.writeString(home.resolve("vse/3.json.tmp"), "{ half");
        Files.writeString(home.resolve("vse/4.failed"), "hpcvirt: deploy failed");
        assertThat(r.list()).extracting(m -> m.get("job")).containsExactly("9", "12");
        assertThat(DeploymentRecords.role(r.get("9").orElseThrow())).isEqualTo(DeploymentRecords.SPARE);
        assertThat(DeploymentRecords.role(r.get("12").orElseThrow())).isEqualTo(DeploymentRecords.COMPUTE);
        assertThat(DeploymentRecords.vms(r.get("12").orElseThrow())).containsExactly("j12-hvs-n1-0");
        assertThat(DeploymentRecords.spares(r.get("9").orElseThrow())).containsExactly("hvs-n1");
        assertThat(r.get("13")).isEmpty();
        assertThatThrownBy(() -> r.put("../x", Map.of())).isInstanceOf(HpcvirtException.class)
                .hasMessage("job id '../x' is not a Slurm job id (digits only)");
    }
}
