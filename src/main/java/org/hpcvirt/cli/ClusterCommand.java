package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cluster.ClusterAuthority;
import org.hpcvirt.cluster.NodeSpec;
import org.hpcvirt.cluster.ScopedTokens;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt cluster init|token}: the cluster CA, node certificates and scoped tokens for daemon-to-daemon TLS. */
@Command(name = "cluster", description = "Create the cluster's CA, node certificates and scoped tokens (mutual TLS between daemons).",
        subcommands = {ClusterCommand.Init.class, ClusterCommand.Token.class})
public final class ClusterCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code hpcvirt cluster init --dir DIR --node NAME=ADDR[,ADDR] … [--days N] [--force]}. */
    @Command(name = "init", description = "Create a cluster CA in DIR and a key and certificate for each node (DIR/nodes/NAME).")
    static final class Init implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory for the CA and the nodes' material (created 0700).")
        Path dir;

        @Option(names = "--node", required = true, paramLabel = "NAME=ADDR[,ADDR]",
                description = "A node and the addresses other nodes reach it at (IP addresses and host names); repeat for each node.")
        List<String> nodes = new ArrayList<>();

        @Option(names = "--days", defaultValue = "365", description = "Validity of the CA and the certificates in days (default ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--force", description = "Replace a CA already in DIR (its node certificates stop working).")
        boolean force;

        @Override
        public Integer call() {
            if (days < 1 || days > 3650) {
                throw HpcvirtException.invalid("--days must be between 1 and 3650, not " + days);
            }
            List<NodeSpec> specs = new ArrayList<>();
            for (String n : nodes) {
                NodeSpec s = NodeSpec.parse(n);
                if (specs.stream().anyMatch(o -> o.name().equals(s.name()))) {
                    throw HpcvirtException.invalid("--node: node " + s.name() + " is given twice");
                }
                specs.add(s);
            }
            ClusterAuthority ca = ClusterAuthority.create(dir, Duration.ofDays(days), force);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("cluster CA: %s (%s, EC P-256, until %s); its key %s (0600) never needs to leave this machine%n",
                    ca.dir().resolve("ca.pem"), "CN=" + ClusterAuthority.commonName(ca.certificate()), day(ca.certificate()),
                    ca.dir().resolve("ca.key"));
            for (NodeSpec s : specs) {
                X509Certificate c = ca.issue(s, Duration.ofDays(days));
                out.printf("node %s: %s (node.p12 0600, node.pem, node.key 0600, truststore.p12), SAN %s, until %s%n", s.name(),
                        ca.nodeDir(s.name()), String.join(", ", sans(c)), day(c));
            }
            out.printf("copy each node's directory to it and start its daemon with: hpcvirt daemon start --listen ADDR:PORT --tls DIR%n");
            return 0;
        }

        private static String day(X509Certificate c) {
            return c.getNotAfter().toInstant().atOffset(ZoneOffset.UTC).toLocalDate().toString();
        }

        private static List<String> sans(X509Certificate c) {
            List<String> out = new ArrayList<>();
            try {
                for (List<?> san : c.getSubjectAlternativeNames()) {
                    out.add(String.valueOf(san.get(1)));
                }
            } catch (java.security.cert.CertificateParsingException e) {
                out.add("?");
            }
            return out;
        }
    }

    /** {@code hpcvirt cluster token --dir DIR --name NAME --scope read|operate|admin}. */
    @Command(name = "token", description = "Issue a scoped bearer token: its SHA-256 goes to DIR/tokens (or --file), the token is printed once.")
    static final class Token implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", description = "Cluster directory; the tokens file is DIR/tokens.")
        Path dir;

        @Option(names = "--file", paramLabel = "F", description = "Tokens file (instead of DIR/tokens).")
        Path file;

        @Option(names = "--name", required = true, description = "Who holds the token (callers appear as token:NAME).")
        String name;

        @Option(names = "--scope", required = true, description = "read (look), operate (change VMs and checkpoints) or admin (the node itself).")
        String scope;

        @Override
        public Integer call() {
            Access a = Access.parse(scope);
            if ((dir == null) == (file == null)) {
                throw HpcvirtException.invalid("give one of --dir DIR or --file F");
            }
            Path f = file != null ? file : dir.resolve("tokens");
            if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
                throw HpcvirtException.invalid("--dir: " + dir + " is not a directory (run 'hpcvirt cluster init' first)");
            }
            ScopedTokens.Issued t = ScopedTokens.issue(f, name, a);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("token %s (scope %s): its SHA-256 is in %s (give daemons --tokens %s); the token is shown only now:%n",
                    name, a, f.toAbsolutePath(), f.toAbsolutePath());
            out.println(t.token());
            return 0;
        }
    }
}
