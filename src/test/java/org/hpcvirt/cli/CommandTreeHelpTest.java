package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * Every command of the tree answers {@code --help} and {@code -h} with its usage and exit code 0, and
 * {@code hpcvirt help PATH…} prints the deepest command's usage. The tree is walked from
 * {@link Main#newCommandLine()}, so a command added later is covered without touching this test.
 */
class CommandTreeHelpTest {
    static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    /** Path of names from below the root to every command of the tree (the root itself is the empty path). */
    static List<List<String>> allPaths() {
        List<List<String>> paths = new ArrayList<>();
        walk(Main.newCommandLine(), new ArrayList<>(), paths);
        return paths;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> paths) {
        paths.add(List.copyOf(path));
        // aliases map to the same CommandLine: visit each command once, under its own name
        Map<CommandLine, Boolean> seen = new IdentityHashMap<>();
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (seen.put(sub, Boolean.TRUE) == null) {
                path.add(sub.getCommandName());
                walk(sub, path, paths);
                path.remove(path.size() - 1);
            }
        }
    }

    private static String[] with(List<String> path, String... more) {
        return Stream.concat(path.stream(), Stream.of(more)).toArray(String[]::new);
    }

    private static String display(List<String> path) {
        return String.join(" ", with(List.of("hpcvirt"), path.toArray(String[]::new)));
    }

    @Test
    void theTreeIsWalkedToItsLeaves() {
        List<List<String>> paths = allPaths();
        // a sample of known commands at every depth: the walk is not stuck at the first level
        assertThat(paths).contains(List.of(), List.of("vm"), List.of("vm", "exec"), List.of("sim", "run"),
                List.of("ft", "policy", "explain"), List.of("daemon", "run"), List.of("completion"));
        assertThat(paths.size()).isGreaterThan(40);
    }

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersHelpWithItsUsage() {
        return allPaths().stream().flatMap(path -> Stream.of("--help", "-h").map(flag ->
                DynamicTest.dynamicTest(display(path) + " " + flag, () -> {
                    CliTest.Run r = run(with(path, flag));
                    String name = path.isEmpty() ? "hpcvirt" : path.get(path.size() - 1);
                    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
                    assertThat(r.err()).as("stderr").isEmpty();
                    assertThat(r.out()).as("usage").isNotBlank().contains("Usage: " + display(path))
                            .contains(name).contains("-h, --help");
                })));
    }

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersVersion() {
        return allPaths().stream().filter(p -> !p.equals(List.of("help"))).map(path ->
                DynamicTest.dynamicTest(display(path) + " --version", () -> {
                    CliTest.Run r = run(with(path, "--version"));
                    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
                    assertThat(r.err()).isEmpty();
                    assertThat(r.out()).startsWith("hpcvirt ");
                }));
    }

    @TestFactory
    Stream<DynamicTest> helpWithAPathPrintsTheDeepestCommandsUsage() {
        return allPaths().stream().filter(p -> !p.isEmpty()).map(path ->
                DynamicTest.dynamicTest("hpcvirt help " + String.join(" ", path), () -> {
                    CliTest.Run viaHelp = run(with(List.of("help"), path.toArray(String[]::new)));
                    CliTest.Run direct = run(with(path, "--help"));
                    assertThat(viaHelp.code()).as("exit code; stderr: %s", viaHelp.err()).isZero();
                    assertThat(viaHelp.err()).isEmpty();
                    assertThat(viaHelp.out()).startsWith("Usage: " + display(path)).isEqualTo(direct.out());
                }));
    }

    @Test
    void helpWithoutAPathPrintsTheRootUsage() {
        CliTest.Run r = run("help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo(run("--help").out()).startsWith("Usage: hpcvirt ");
    }

    @Test
    void helpWithAnUnknownCommandSaysWhichWordIsUnknown() {
        CliTest.Run r = run("help", "sim", "nosuch");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("'nosuch'").contains("hpcvirt sim").doesNotContain("at org.");
    }
}
