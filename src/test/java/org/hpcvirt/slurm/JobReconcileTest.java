package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's reconcile: VMs the Prolog deployed for jobs Slurm no longer runs here go; nothing goes while squeue fails. */
class JobReconcileTest {
    @TempDir
    Path dir;

    final List<String> vms = new ArrayList<>(List.of("j4-n1-0", "j5-n1-0", "j6-n1-0", "compute-1"));
    final List<String> destroyed = new ArrayList<>();
    final Map<String, String> states = new java.util.HashMap<>();
    final List<String> calls = new ArrayList<>();
    final List<String> log = new ArrayList<>();
    SlurmCommands.Result squeue = new SlurmCommands.Result(0, "5\n");

    final OperationClient daemon = new OperationClient() {
        @Override
        public <R> R execute(Operation op, Class<R> type) {
            if (op instanceof Operation.ListVms) {
                return type.cast(vms.stream().map(this::status).toArray(VmStatus[]::new));
            }
            if (op instanceof Operation.Status st) {
                if (!vms.contains(st.name())) {
                    throw org.hpcvirt.api.HpcvirtException.notFound("VM " + st.name());
                }
                return type.cast(status(st.name()));
            }
            if (op instanceof Operation.Pause pa) {
                calls.add("pause " + pa.name());
                states.put(pa.name(), "PAUSED");
                return type.cast(status(pa.name()));
            }
            if (op instanceof Operation.Resume re) {
                calls.add("resume " + re.name());
                states.put(re.name(), "RUNNING");
                return type.cast(status(re.name()));
            }
            if (op instanceof Operation.Destroy d) {
                destroyed.add(d.name());
                vms.remove(d.name());
                return null;
            }
            throw new IllegalArgumentException(op.toString());
        }

        private VmStatus status(String v) {
            return Json.mapper().convertValue(Map.of("name", v, "state", states.getOrDefault(v, "RUNNING")), VmStatus.class);
        }

        @Override
        public String endpoint() {
            return "n1";
        }

        @Override
        public void close() {
        }
    };

    @Test
    void vmsOfJobsSlurmNoLongerRunsHereAreDestroyedWithTheirRecordButOnlyThoseThePrologDeployed() throws IOException {
        Path records = Files.createDirectories(dir.resolve("vse"));
        Files.writeString(records.resolve("4.json"), "{}");
        Files.writeString(records.resolve("5.json"), "{}");
        JobReconcile r = new JobReconcile(records, "n1", daemon, argv -> squeue, log::add);

        squeue = new SlurmCommands.Result(1, "slurm_load_jobs error: Unable to contact slurm controller (connect failure)");
        assertThat(r.round()).isEmpty();
        assertThat(r.round()).isEmpty();
        assertThat(log).containsExactly("hpcvirt: cannot ask squeue which jobs run on n1, no VM destroyed until it answers: "
                + "slurm_load_jobs error: Unable to contact slurm controller (connect failure)");

        squeue = new SlurmCommands.Result(0, "5\n");
        // job 4 moved away (its node was down); job 5 still runs here; j6 has no record (not the Prolog's); compute-1 is no job's
        assertThat(r.round()).containsExactly("j4-n1-0");
        assertThat(destroyed).containsExactly("j4-n1-0");
        assertThat(records.resolve("4.json")).doesNotExist();
        assertThat(records.resolve("5.json")).exists();
        assertThat(log).contains("hpcvirt: squeue answers again on n1",
                "hpcvirt: destroyed j4-n1-0: Slurm no longer runs job 4 on n1 (it may run elsewhere now)");
        assertThat(r.round()).isEmpty();
    }

    @Test
    void aFencedNodePausesThePrologsVmsAndAfterwardsDestroysThoseOfMovedJobsAndResumesTheRest() throws IOException {
        Path records = Files.createDirectories(dir.resolve("vse"));
        Files.writeString(records.resolve("4.json"), "{}");
        Files.writeString(records.resolve("5.json"), "{}");
        states.put("j5-n1-0", "PAUSED"); // paused by its user before: not the fence's to resume
        vms.add("j5-n1-1");
        JobReconcile r = new JobReconcile(records, "n1", daemon, argv -> squeue, log::add);

        assertThat(r.fence("cut off")).containsExactly("j4-n1-0", "j5-n1-1");
        assertThat(calls).containsExactly("pause j4-n1-0", "pause j5-n1-1");

        squeue = new SlurmCommands.Result(1, "slurm_load_jobs error: Unable to contact slurm controller (connect failure)");
        assertThat(r.unfence()).as("Slurm cannot be asked yet").isFalse();
        assertThat(calls).hasSize(2);
        assertThat(destroyed).isEmpty();

        squeue = new SlurmCommands.Result(0, "5\n");
        assertThat(r.unfence()).isTrue();
        assertThat(destroyed).as("job 4 was requeued elsewhere meanwhile").containsExactly("j4-n1-0");
        assertThat(calls).containsExactly("pause j4-n1-0", "pause j5-n1-1", "resume j5-n1-1");
        assertThat(states).containsEntry("j5-n1-0", "PAUSED");
        assertThat(log).contains("hpcvirt: resumed j5-n1-1: Slurm still runs their jobs on n1");
        assertThat(r.unfence()).as("nothing fenced any more").isTrue();
        assertThat(calls).hasSize(3);
    }
}
