package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The {@code hpcvirt} command line as a user runs it: separate processes with {@code HPCVIRT_HOME}
 * set, the daemon started on demand by the first command, exit codes and messages checked.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliIT {
    private static TestNode node;
    private static final List<Process> started = new CopyOnWriteArrayList<>();

    /** Result of one CLI run. */
    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void createNode() {
        node = TestNode.create(); // no daemon: the CLI must start one
    }

    @AfterAll
    static void cleanUp() {
        for (Process p : started) {
            p.destroyForcibly();
        }
        if (node != null) {
            node.close();
        }
    }

    private static ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "org.hpcvirt.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of(System.getProperty("hpcvirt.repo", ".")).toFile());
        pb.environment().put("HPCVIRT_HOME", node.layout().home().toString());
        return pb;
    }

    private static Run cli(String... args) throws Exception {
        Process p = builder(args).start();
        started.add(p);
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("hpcvirt %s finished", String.join(" ", args)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    @Order(1)
    void firstCommandStartsTheDaemon() throws Exception {
        Run status = cli("daemon", "status");
        assertThat(status.exit()).isEqualTo(9);
        assertThat(status.out()).contains("not running");
        Run list = cli("vm", "list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).startsWith("NAME");
        Run again = cli("daemon", "status");
        assertThat(again.exit()).isZero();
        assertThat(again.out()).contains("running, pid");
    }

    @Test
    @Order(2)
    void backendsExplainsWhyKvmCannotRun() throws Exception {
        Run r = cli("backends");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("qemu").contains("yes").contains("kvm");
        String kvmLine = r.out().lines().filter(l -> l.startsWith("kvm")).findFirst().orElseThrow();
        // whatever this host can do, the line says yes, or no with a reason
        assertThat(kvmLine.contains(" yes ") || kvmLine.contains(" no ")).isTrue();
        // the capability matrix: a row per backend, a column per capability, a reason for every "no"
        assertThat(r.out()).contains("BACKEND    LIFECYCLE  PAUSE  CHECKPOINT  MIGRATE  MEMORY ACCESS  KERNEL FAULTS  DATA DISK");
        String matrix = r.out().substring(r.out().indexOf("BACKEND    LIFECYCLE"));
        String containerRow = matrix.lines().filter(l -> l.startsWith("container ")).findFirst().orElseThrow();
        assertThat(containerRow.split("\\s+")).containsExactly("container", "yes", "yes", "no", "no", "no", "no", "no");
        assertThat(r.out()).contains("container — kernel faults: the guest kernel is the host kernel")
                .containsPattern("container — checkpoint: (criu not installed|criu check fails here: .+)");
        Run json = cli("backends", "--json");
        assertThat(json.exit()).isZero();
        assertThat(json.out()).contains("\"capability\" : \"kernel faults\"");
    }

    @Test
    @Order(3)
    void badInputGetsClearErrorsAndExitCodes() throws Exception {
        Path bad = node.layout().home().resolve("bad.yaml");
        Files.writeString(bad, "name: x\nbackend: qemu\ncpus: 0\nmemory: 12X\nfoo: 1\n");
        Run r = cli("vm", "define", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("bad.yaml:3: cpus").contains("bad.yaml:4: memory").contains("bad.yaml:5: unknown field 'foo'")
                .doesNotContain("Exception").doesNotContain("\tat ");
        Run missing = cli("vm", "start", "nosuch");
        assertThat(missing.exit()).isEqualTo(3);
        assertThat(missing.err()).contains("VM 'nosuch' not found");
        Run usage = cli("vm", "stop");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required parameter");
        assertThat(cli("vm", "list").out()).doesNotContain("x ");
    }

    /** {@code vm exec NAME -- PROGRAM ARG…}: argv reaches the guest as given, no shell in between. */
    private static void execPassesArgumentsUnchanged() throws Exception {
        Run two = cli("vm", "exec", "compute-small", "--", "sh", "-c", "echo a; echo b");
        assertThat(two.exit()).as(two.err()).isZero();
        assertThat(two.out()).isEqualTo("a\nb\n");
        Run write = cli("vm", "exec", "compute-small", "--", "sh", "-c", "echo precious > /tmp/f");
        assertThat(write.exit()).as(write.err()).isZero();
        assertThat(write.out()).isEmpty();
        assertThat(cli("vm", "exec", "compute-small", "--", "cat", "/tmp/f").out()).isEqualTo("precious\n");

        List<String> args = new ArrayList<>(List.of("two words", "it's \"quoted\"", "", "$HOME `hostname` *", "-n"));
        if ("UTF-8".equals(System.getProperty("sun.jnu.encoding"))) {
            args.add("naïve ✓ 日本"); // command-line arguments carry UTF-8 only under a UTF-8 locale (the REST check below always does)
        }
        List<String> cmd = new ArrayList<>(List.of("vm", "exec", "compute-small", "--", "printf", "%s|"));
        cmd.addAll(args);
        Run printf = cli(cmd.toArray(String[]::new));
        assertThat(printf.exit()).as(printf.err()).isZero();
        assertThat(printf.out()).isEqualTo(String.join("|", args) + "|");

        Run missing = cli("vm", "exec", "compute-small", "--", "no-such-program");
        assertThat(missing.exit()).isEqualTo(127);
        assertThat(missing.out()).isEqualTo("hpcvirt-agent: cannot run 'no-such-program': No such file or directory\n");
        assertThat(missing.err()).isEmpty();
        // a whole command line given as one argument is one (missing) program name, and the CLI says what to do
        Run oneString = cli("vm", "exec", "compute-small", "--", "echo a; echo b");
        assertThat(oneString.exit()).isEqualTo(127);
        assertThat(oneString.err()).contains("use --shell 'echo a; echo b'");

        Run shell = cli("vm", "exec", "compute-small", "--shell", "echo a; echo b | tr b c");
        assertThat(shell.exit()).as(shell.err()).isZero();
        assertThat(shell.out()).isEqualTo("a\nc\n");
        Run both = cli("vm", "exec", "compute-small", "--shell", "true", "--", "true");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("not both");
    }

    /** POST /v1/vms/{name}/exec wants exactly one of argv and command. */
    private static void execRequestBodyNeedsExactlyOneForm() throws Exception {
        HttpClient http = new HttpClient();
        http.start();
        try {
            java.util.function.Function<String, ContentResponse> post = body -> {
                try {
                    return http.newRequest("http://hpcvirtd/v1/vms/compute-small/exec")
                            .transport(new Transport.TCPUnix(node.layout().daemonSocket())).method(HttpMethod.POST)
                            .body(new StringRequestContent("application/json", body, StandardCharsets.UTF_8)).send();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            ContentResponse ok = post.apply("{\"argv\": [\"printf\", \"%s|\", \"a b\", \"\", \"naïve ✓ 日本\", \"x\\ny\"]}");
            assertThat(ok.getStatus()).as(ok.getContentAsString()).isEqualTo(200);
            var result = org.hpcvirt.api.Json.mapper().readTree(ok.getContentAsString());
            assertThat(result.get("exitCode").asInt()).isZero();
            assertThat(result.get("output").asText()).isEqualTo("a b||naïve ✓ 日本|x\ny|");
            for (String bad : List.of("{\"argv\": [\"true\"], \"command\": \"true\"}", "{}", "{\"timeoutSeconds\": 5}")) {
                ContentResponse r = post.apply(bad);
                assertThat(r.getStatus()).as(bad).isEqualTo(400);
                assertThat(r.getContentAsString()).as(bad).contains("INVALID_INPUT")
                        .contains("give exactly one of 'argv' (program and arguments, run without a shell) and 'command'");
            }
            for (String bad : List.of("{\"argv\": []}", "{\"argv\": [\"echo\", null]}")) {
                ContentResponse r = post.apply(bad);
                assertThat(r.getStatus()).as(bad).isEqualTo(400);
                assertThat(r.getContentAsString()).as(bad).contains("'argv' must be a non-empty array of strings");
            }
            ContentResponse notAList = post.apply("{\"argv\": \"echo hi\"}");
            assertThat(notAList.getStatus()).isEqualTo(400);
            ContentResponse emptyProgram = post.apply("{\"argv\": [\"\"]}");
            assertThat(emptyProgram.getStatus()).isEqualTo(400);
            assertThat(emptyProgram.getContentAsString()).contains("the program name is empty");
        } finally {
            http.stop();
        }
    }

    @Test
    @Order(4)
    void lifecycleThroughTheCli() throws Exception {
        assertThat(cli("vm", "define", "examples/compute-small.yaml").out()).contains("defined compute-small");

        // follow events in the background while the VM starts
        Process follow = builder("events", "--follow", "--vm", "compute-small").start();
        started.add(follow);
        List<String> followed = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(follow.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    followed.add(line);
                }
            } catch (IOException e) {
                // process killed
            }
        });
        reader.setDaemon(true);
        reader.start();

        Run start = cli("vm", "start", "compute-small", "--wait");
        assertThat(start.exit()).as(start.err()).isZero();
        assertThat(start.out()).contains("compute-small RUNNING");
        await().atMost(Duration.ofSeconds(30)).until(() -> followed.stream().anyMatch(l -> l.contains("first heartbeat")));
        follow.destroyForcibly();

        Run status = cli("vm", "status", "compute-small", "--json");
        assertThat(status.out()).contains("\"state\" : \"RUNNING\"").contains("\"backend\" : \"qemu\"");

        Run exec = cli("vm", "exec", "compute-small", "--shell", "echo hi from $(hostname); exit 7");
        assertThat(exec.out()).isEqualTo("hi from compute-small\n");
        assertThat(exec.exit()).as("the guest command's exit status is the CLI's").isEqualTo(7);
        execPassesArgumentsUnchanged();
        execRequestBodyNeedsExactlyOneForm();

        assertThat(cli("vm", "console", "compute-small").out()).contains("hpcvirt: init done");
        assertThat(cli("vm", "pause", "compute-small").out()).contains("PAUSED");
        Run again = cli("vm", "pause", "compute-small");
        assertThat(again.exit()).isEqualTo(5);
        assertThat(again.err()).contains("in state PAUSED");
        assertThat(cli("vm", "resume", "compute-small").out()).contains("RUNNING");
        assertThat(cli("vm", "stop", "compute-small", "--timeout", "30").out()).contains("STOPPED");

        Run events = cli("events", "--vm", "compute-small", "--json");
        assertThat(events.out().lines().count()).isGreaterThanOrEqualTo(6);
        assertThat(events.out()).contains("\"type\":\"DEFINED\"").contains("\"type\":\"QEMU_EXITED\"");

        assertThat(cli("vm", "destroy", "compute-small").out()).contains("destroyed");
        assertThat(Files.exists(node.layout().vmDir("compute-small"))).isFalse();
        assertThat(cli("daemon", "stop").out()).contains("hpcvirtd stopped");
        await().atMost(Duration.ofSeconds(20)).until(() -> node.processesOfThisNode().isEmpty());
    }
}
