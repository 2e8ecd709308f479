package org.hpcvirt.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files a cgroup is made of, on a directory tree laid out like each hierarchy (the kernel's
 * own behaviour, rmdir and refusals, is EnclaveIT's on the real cgroup v1 tree).
 */
class CpusetCgroupTest {
    @Test
    void cgroup2EnablesTheControllerOnTheWayAndAsksForAPartitionRoot(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("cgroup.subtree_control"), "");
        Files.createDirectories(root.resolve("hpcvirt"));
        Files.writeString(root.resolve("hpcvirt/cpuset.mems.effective"), "0\n");
        CpusetCgroup cg = new CpusetCgroup(root.resolve("hpcvirt/e1"), true);
        assertThat(cg.create(List.of(2, 3), true)).isNull();
        assertThat(Files.readString(root.resolve("cgroup.subtree_control"))).isEqualTo("+cpuset");
        assertThat(Files.readString(root.resolve("hpcvirt/cgroup.subtree_control"))).isEqualTo("+cpuset");
        assertThat(cg.cpus()).isEqualTo("2,3");
        assertThat(cg.mems()).isEqualTo("0");
        assertThat(cg.exclusive()).isTrue();
        assertThat(cg.procs()).isEqualTo(root.resolve("hpcvirt/e1/cgroup.procs"));
    }

    @Test
    void v1CreatesTheParentFromTheRootAndRequestsCpuExclusive(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("cpuset.cpus"), "0-3\n");
        Files.writeString(root.resolve("cpuset.mems"), "0\n");
        CpusetCgroup cg = new CpusetCgroup(root.resolve("hpcvirt/e1"), false);
        assertThat(cg.create(List.of(1), true)).isNull();
        assertThat(Files.readString(root.resolve("hpcvirt/cpuset.cpus"))).isEqualTo("0-3");
        assertThat(cg.cpus()).isEqualTo("1");
        assertThat(Files.readString(root.resolve("hpcvirt/e1/cpuset.cpu_exclusive"))).isEqualTo("1");
        assertThat(cg.exclusive()).isTrue();
    }

    @Test
    void aLeftoverCgroupIsNotReused(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("hpcvirt/e1"));
        assertThatThrownBy(() -> new CpusetCgroup(root.resolve("hpcvirt/e1"), false).create(List.of(1), false))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("exists already")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
    }
}
