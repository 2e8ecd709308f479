package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.slurm.SlurmCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code hpcvirt submit FILE [--policy F] [sbatch options…] -- SCRIPT [ARGS…]}: validates and merges
 * the VSE file at submission (a mistake is an error here, exit 2, and nothing is queued), then runs
 * the real {@code sbatch --vse=FILE OPTIONS… SCRIPT ARGS…}. Every argument but {@code --policy} is
 * passed to sbatch unchanged; {@code --partition}/{@code -p} is also the partition whose rules apply
 * (else {@code SBATCH_PARTITION}, else the script's {@code #SBATCH} lines, else the cluster's default
 * partition, from {@code sinfo}).
 */
@Command(name = "submit", description = "Validate a VSE file against the administrator's policy, then submit the job with sbatch --vse.")
public final class SubmitCommand implements Runnable {
    /** Tells the SPANK plugin that {@code hpcvirt submit} has checked this VSE file already. */
    static final String CHECKED_ENV = "HPCVIRT_VSE_CHECKED";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ARG", description = "FILE [--policy F] [sbatch options…] -- SCRIPT [ARGS…]")
    List<String> args = new ArrayList<>();

    /** Slurm's commands; tests replace them. */
    static SlurmCommands slurm = SlurmCommands.REAL;

    @Override
    public void run() {
        if (args.isEmpty()) {
            throw HpcvirtException.invalid("submit: missing the VSE file (hpcvirt submit FILE [sbatch options…] -- SCRIPT…)");
        }
        Path file = Path.of(args.get(0)).toAbsolutePath();
        int end = args.indexOf("--");
        if (end < 0 || end == args.size() - 1) {
            throw HpcvirtException.invalid("submit: missing '-- SCRIPT' after the sbatch options (hpcvirt submit FILE [sbatch options…] -- SCRIPT…)");
        }
        List<String> options = new ArrayList<>();
        Path policy = null;
        String partition = null;
        List<String> opts = args.subList(1, end);
        for (int i = 0; i < opts.size(); i++) {
            String o = opts.get(i);
            if (o.equals("--policy")) {
                if (i + 1 >= opts.size()) {
                    throw HpcvirtException.invalid("submit: --policy needs a file");
                }
                policy = Path.of(opts.get(++i));
                continue;
            }
            if (o.startsWith("--policy=")) {
                policy = Path.of(o.substring("--policy=".length()));
                continue;
            }
            if ((o.equals("--partition") || o.equals("-p")) && i + 1 < opts.size()) {
                partition = opts.get(i + 1);
            } else if (o.startsWith("--partition=")) {
                partition = o.substring("--partition=".length());
            } else if (o.startsWith("-p") && o.length() > 2 && !o.startsWith("--")) {
                partition = o.substring(2);
            } else if (o.startsWith("--vse")) {
                throw HpcvirtException.invalid("submit: the VSE file is the first argument; drop " + o);
            }
            options.add(o);
        }
        if (partition == null) {
            // as sbatch decides it: command line, then SBATCH_PARTITION, then the script's #SBATCH lines, then the default
            String env = System.getenv("SBATCH_PARTITION");
            partition = env != null && !env.isBlank() ? env : scriptPartition(Path.of(args.get(end + 1)));
        }
        if (partition == null) {
            partition = defaultPartition();
        }
        org.hpcvirt.vse.MergedVse merged = VseCommand.merge(Path.of(args.get(0)), policy, partition);
        int spares = merged.spares().value();
        if (spares > 0) {
            // -N counts the spares: the last ft.spares nodes of the allocation get no VM (docs/slurm.md)
            int asked = requestedNodes(options, Path.of(args.get(end + 1)));
            if (asked < spares + 1) {
                throw HpcvirtException.invalid(org.hpcvirt.vse.VseLoader.file(Path.of(args.get(0))).source().at("ft.spares") + " "
                        + org.hpcvirt.slurm.Spares.tooFew(asked, spares));
            }
        }

        // checked here already: the SPANK plugin's own check at submission (check=PROGRAM) is skipped for this file
        List<String> sbatch = new ArrayList<>(List.of("env", CHECKED_ENV + "=" + file, "sbatch", "--vse=" + file));
        sbatch.addAll(options);
        sbatch.addAll(args.subList(end + 1, args.size()));
        SlurmCommands.Result r = slurm.run(sbatch);
        PrintWriter out = spec.commandLine().getOut();
        if (r.exitCode() != 0) {
            if (r.output().contains("unrecognized option '--vse") || r.output().contains("unrecognized option \"--vse")) {
                throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "this Slurm has no hpcvirt SPANK plugin (sbatch does not know "
                        + "--vse): the administrator adds the lines of 'hpcvirt slurm config'");
            }
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "sbatch refused the job: " + r.output().strip().replace('\n', ' '));
        }
        out.print(r.output());
        out.flush();
    }

    /**
     * The fewest nodes the job asks for, as sbatch reads it: {@code -N}/{@code --nodes} among the options,
     * else the script's leading {@code #SBATCH} lines, else {@code SBATCH_NNODES}, else 1; of a range
     * {@code MIN-MAX}, MIN.
     */
    static int requestedNodes(List<String> options, Path script) {
        String n = nodesOption(options);
        if (n == null) {
            try {
                List<String> words = new ArrayList<>();
                for (String line : java.nio.file.Files.readAllLines(script)) {
                    String l = line.strip();
                    if (l.isEmpty() || l.startsWith("#!")) {
                        continue;
                    }
                    if (!l.startsWith("#")) {
                        break;
                    }
                    if (l.startsWith("#SBATCH")) {
                        words.addAll(List.of(l.substring("#SBATCH".length()).strip().split("\\s+")));
                    }
                }
                n = nodesOption(words);
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                n = null; // sbatch says what is wrong with the script
            }
        }
        if (n == null) {
            n = System.getenv("SBATCH_NNODES");
        }
        if (n == null || n.isBlank()) {
            return 1;
        }
        String min = n.contains("-") ? n.substring(0, n.indexOf('-')) : n;
        try {
            return Integer.parseInt(min.strip());
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid("submit: '" + n + "' is not a node count (-N N or -N MIN-MAX)");
        }
    }

    private static String nodesOption(List<String> words) {
        String found = null;
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if ((w.equals("-N") || w.equals("--nodes")) && i + 1 < words.size()) {
                found = words.get(i + 1);
            } else if (w.startsWith("--nodes=")) {
                found = w.substring("--nodes=".length());
            } else if (w.startsWith("-N") && w.length() > 2) {
                found = w.substring(2);
            }
        }
        return found;
    }

    /** The partition of the script's leading {@code #SBATCH} lines ({@code -p P}, {@code --partition=P}), or null. */
    static String scriptPartition(Path script) {
        List<String> lines;
        try {
            lines = java.nio.file.Files.readAllLines(script);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return null; // sbatch says what is wrong with the script
        }
        String found = null;
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#!")) {
                continue;
            }
            if (!l.startsWith("#")) {
                break; // sbatch reads #SBATCH lines only before the first command
            }
            if (!l.startsWith("#SBATCH")) {
                continue;
            }
            String[] w = l.substring("#SBATCH".length()).strip().split("\\s+");
            for (int i = 0; i < w.length; i++) {
                if ((w[i].equals("-p") || w[i].equals("--partition")) && i + 1 < w.length) {
                    found = w[i + 1];
                } else if (w[i].startsWith("--partition=")) {
                    found = w[i].substring("--partition=".length());
                } else if (w[i].startsWith("-p") && w[i].length() > 2 && !w[i].startsWith("--")) {
                    found = w[i].substring(2);
                }
            }
        }
        return found;
    }

    private static String defaultPartition() {
        SlurmCommands.Result r = slurm.run(List.of("sinfo", "-h", "-o", "%P"));
        if (r.exitCode() == 0) {
            for (String line : r.output().lines().toList()) {
                if (line.strip().endsWith("*")) {
                    return line.strip().substring(0, line.strip().length() - 1);
                }
            }
        }
        return null;
    }
}
