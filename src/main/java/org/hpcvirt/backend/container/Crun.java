package org.hpcvirt.backend.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The {@code crun} command line, one call per method, each bounded in time. Containers live in
 * crun's default state directory ({@code /run/crun}), so {@code crun list} shows them and a
 * restarted daemon finds them. Stateless and thread-safe.
 */
final class Crun {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The binary: system property {@code hpcvirt.crun} if set, else {@code crun} from PATH. */
    static String binary() {
        return System.getProperty("hpcvirt.crun", "crun");
    }

    /** A finished call: exit status and its standard output and error together. */
    record Result(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }

        /** The output's last non-blank line (crun prints its error there), or "(no output)". */
        String lastLine() {
            List<String> l = output.strip().lines().filter(s -> !s.isBlank()).toList();
            return l.isEmpty() ? "(no output)" : l.get(l.size() - 1);
        }
    }

    /**
     * What {@code crun state} says of a container.
     *
     * @param pid    its init's pid on the host (0 once stopped)
     * @param status crun's status: created, running, paused or stopped
     */
    record State(long pid, String status) {
    }

    private Crun() {
    }

    /** Runs {@code crun args…}; never throws for a non-zero exit (the caller decides). */
    static Result run(List<String> args, Duration timeout) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary());
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new HpcvirtException(ErrorCode.TIMEOUT, "crun " + String.join(" ", args) + " did not finish within "
                        + timeout.toSeconds() + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, binary() + " cannot be run (install crun): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while running crun " + String.join(" ", args));
        }
    }

    /** Runs {@code crun args…} and fails with OPERATION_FAILED, quoting crun, if it exits non-zero. */
    static Result require(String what, List<String> args) {
        Result r = run(args, TIMEOUT);
        if (!r.ok()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, what + " failed: " + r.lastLine());
        }
        return r;
    }

    /** The container's state, or empty if crun does not know it (never created, or deleted). */
    static Optional<State> state(String id) {
        Result r = run(List.of("state", id), TIMEOUT);
        if (!r.ok()) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(r.output());
            return Optional.of(new State(n.path("pid").asLong(0), n.path("status").asText("")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Deletes the container's state and cgroups, killing what is left of it; quiet if it is gone already. */
    static void deleteQuietly(String id) {
        try {
            run(List.of("delete", "--force", id), TIMEOUT);
        } catch (HpcvirtException e) {
            // nothing more to do: a later delete (or crun's own) cleans up
        }
    }
}
