package org.hpcvirt.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Teardown of the enclave ITs: whatever failed, no enclave cgroup or shared-memory segment is left behind. */
final class EnclaveLeftovers {
    /** The parent of every enclave's cpuset cgroup on this (cgroup v1) host. */
    static final Path CPUSET = Path.of("/sys/fs/cgroup/cpuset/hpcvirt");

    private EnclaveLeftovers() {
    }

    /**
     * Closes {@code node} (may be null), then removes the cgroups of {@code enclaves} (waiting up to
     * 15 s each for their last process to leave) and the {@code segments}.
     */
    static void closeAndRemove(TestNode node, List<String> enclaves, List<Path> segments) throws IOException {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            for (String n : enclaves) {
                Path dir = CPUSET.resolve(n);
                if (Files.isDirectory(dir)) {
                    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
                        Files.delete(dir);
                        return true;
                    });
                }
            }
            for (Path s : segments) {
                Files.deleteIfExists(s);
            }
        }
    }
}
