package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.daemon.TcpListener;
import org.hpcvirt.metrics.MetricsAddress;
import org.hpcvirt.vm.NodeLayout;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt daemon start|stop|status|run}: the node daemon that owns this node's VMs. */
@Command(name = "daemon", description = "Start, stop or inspect the node daemon (hpcvirtd).",
        subcommands = {DaemonCommand.Start.class, DaemonCommand.Stop.class, DaemonCommand.Status.class, DaemonCommand.Run.class})
public final class DaemonCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code --listen ADDR:PORT --tls DIR [--tokens F]}: the optional TCP listener for other nodes'
     * daemons (mutual TLS); {@code --insecure-plain-tcp --token-file F} instead for a lab.
     */
    static final class Listen {
        @CommandLine.Option(names = "--listen", paramLabel = "ADDR:PORT",
                description = "Also serve the API over TCP here, for other nodes (needs --tls). Env: HPCVIRT_LISTEN.")
        String listen;

        @CommandLine.Option(names = "--tls", paramLabel = "DIR",
                description = "This node's directory from 'hpcvirt cluster init' (DIR/nodes/NAME): serve TLS with its certificate, "
                        + "accept other nodes' certificates of the cluster CA, present it to them. Env: HPCVIRT_TLS.")
        java.nio.file.Path tls;

        @CommandLine.Option(names = "--tokens", paramLabel = "F",
                description = "Scoped tokens accepted over TCP (from 'hpcvirt cluster token'). Env: HPCVIRT_TOKENS.")
        java.nio.file.Path tokens;

        @CommandLine.Option(names = "--insecure-plain-tcp",
                description = "Lab only: plain TCP without TLS; tokens travel in clear. Env: HPCVIRT_INSECURE_TCP=yes.")
        boolean insecure;

        @CommandLine.Option(names = "--token-file", paramLabel = "F",
                description = "Lab only (--insecure-plain-tcp): the nodes' shared token (first line). Env: HPCVIRT_TOKEN_FILE.")
        java.nio.file.Path tokenFile;

        /** The listener from the options, else from the environment, else null. */
        TcpListener resolve() {
            org.hpcvirt.api.NodeConfig c = org.hpcvirt.api.NodeConfig.current();
            if (listen == null) {
                if (tls != null || tokens != null || tokenFile != null || insecure) {
                    throw org.hpcvirt.api.HpcvirtException.invalid("--tls, --tokens, --token-file and --insecure-plain-tcp need --listen");
                }
                return TcpListener.fromEnvironment();
            }
            return TcpListener.of(listen, tls != null ? tls : c.tls(), tokens != null ? tokens : c.tokens(),
                    tokenFile != null ? tokenFile : c.tokenFile(), insecure || c.insecureTcp());
        }

        /** The listener options as the environment of a spawned daemon (options win over the inherited environment). */
        java.util.Map<String, String> environment() {
            org.hpcvirt.api.NodeConfig c = org.hpcvirt.api.NodeConfig.current();
            java.util.Map<String, String> env = new java.util.HashMap<>();
            env.put(TcpListener.ENV_LISTEN, listen != null ? listen : c.listen());
            env.put(TcpListener.ENV_TLS, path(tls, c.tls()));
            env.put(TcpListener.ENV_TOKENS, path(tokens, c.tokens()));
            env.put(TcpListener.ENV_TOKEN_FILE, path(tokenFile, c.tokenFile()));
            env.put(TcpListener.ENV_INSECURE_TCP, insecure || c.insecureTcp() ? "yes" : "no");
            // an unset option stays unset for the daemon (an empty value would not be "unset" to it)
            env.values().removeIf(java.util.Objects::isNull);
            return env;
        }

        private static String path(java.nio.file.Path option, java.nio.file.Path env) {
            java.nio.file.Path p = option != null ? option : env;
            return p == null ? null : p.toAbsolutePath().toString();
        }
    }

    /** {@code --metrics ADDR:PORT}: the optional plain-HTTP listener that serves {@code /metrics} to Prometheus. */
    static final class Metrics {
        @CommandLine.Option(names = "--metrics", paramLabel = "ADDR:PORT",
                description = "Also serve Prometheus metrics over plain HTTP here (GET /metrics only, no token: numbers, "
                        + "no VM control); a port alone means 127.0.0.1. Env: HPCVIRT_METRICS.")
        String metrics;

        /** The address from the option, else from the environment, else null; INVALID_INPUT naming the source if malformed. */
        MetricsAddress resolve() {
            if (metrics != null) {
                return MetricsAddress.parse(metrics, "--metrics");
            }
            String env = org.hpcvirt.api.NodeConfig.current().metrics();
            return env == null ? null : MetricsAddress.parse(env, MetricsAddress.ENV);
        }
    }

    /** Starts a daemon in the background unless one runs. */
    @Command(name = "start", description = "Start the daemon in the background (no-op if it runs).")
    static final class Start implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Listen listen;

        @CommandLine.Mixin
        Metrics metrics;

        @Override
        public Integer call() {
            NodeLayout layout = NodeLayout.fromEnvironment();
            PrintWriter out = spec.commandLine().getOut();
            MetricsAddress m = metrics.resolve();
            if (DaemonClient.running(layout)) {
                out.println("hpcvirtd already running for " + layout.home() + (metrics.metrics == null && listen.listen == null ? ""
                        : " (its listeners stay as they are: stop it to change them)"));
                return 0;
            }
            TcpListener tcp = listen.resolve();
            java.util.Map<String, String> env = new java.util.HashMap<>();
            if (tcp != null) {
                env.putAll(listen.environment());
            }
            if (m != null) {
                env.put(MetricsAddress.ENV, m.toString());
            }
            long pid = DaemonClient.spawnDaemon(layout, env);
            out.println("hpcvirtd started (pid " + pid + ") for " + layout.home() + (tcp == null ? ""
                    : tcp.secure() ? ", listening on " + tcp.url() + " (mutual TLS as node " + tcp.tls().nodeName() + ")"
                    : ", listening on " + tcp.url() + " (PLAIN TCP, lab switch: tokens travel in clear)")
                    + (m == null ? "" : m.port() == 0 ? ", metrics on " + m.host() + " (a free port: the daemon log "
                    + layout.daemonLog() + " names it)" : ", metrics on http://" + m + "/metrics"));
            return 0;
        }
    }

    /** Asks the daemon to stop; VMs keep running. */
    @Command(name = "stop", description = "Stop the daemon; VMs keep running and are re-attached by the next daemon.")
    static final class Stop implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            NodeLayout layout = NodeLayout.fromEnvironment();
            PrintWriter out = spec.commandLine().getOut();
            if (!DaemonClient.stop(layout, java.time.Duration.ofSeconds(15))) {
                out.println("hpcvirtd not running for " + layout.home());
                return 0;
            }
            out.println("hpcvirtd stopped (VMs keep running)");
            return 0;
        }
    }

    /** Prints whether a daemon runs. Exit code 0 if it does, 9 if not. */
    @Command(name = "status", description = "Say whether the daemon runs (exit code 0) or not (9).")
    static final class Status implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            NodeLayout layout = NodeLayout.fromEnvironment();
            PrintWriter out = spec.commandLine().getOut();
            if (!DaemonClient.running(layout)) {
                out.println("hpcvirtd: not running (home " + layout.home() + ")");
                return org.hpcvirt.api.ErrorCode.DAEMON_UNAVAILABLE.exitCode();
            }
            try (DaemonClient c = DaemonClient.connect(layout)) {
                var n = c.node();
                out.printf("hpcvirtd: running, pid %d, up %d s, home %s, %d VMs%n", n.path("pid").asLong(),
                        n.path("uptimeMs").asLong() / 1000, n.path("home").asText(), c.list().size());
                var t = n.path("tcp");
                if (!t.isMissingNode()) {
                    out.printf("tcp: %s, %s%n", t.path("url").asText(), t.path("tls").asBoolean()
                            ? "mutual TLS as node " + t.path("node").asText() + " (certificate until " + t.path("certificateNotAfter").asText() + ")"
                            + (t.path("scopedTokens").asBoolean() ? ", scoped tokens accepted" : "")
                            : "PLAIN TCP (insecure lab switch): tokens and requests travel in clear");
                }
            }
            return 0;
        }
    }

    /** Runs the daemon in the foreground (what {@code start} launches). */
    @Command(name = "run", description = "Run the daemon in the foreground.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Listen listen;

        @CommandLine.Mixin
        Metrics metrics;

        @Override
        public Integer call() throws InterruptedException {
            TcpListener tcp = listen.resolve();
            MetricsAddress m = metrics.resolve();
            Daemon d = Daemon.start(NodeLayout.fromEnvironment(), tcp, m);
            if (d.metricsUrl() != null) {
                spec.commandLine().getOut().println("hpcvirtd: metrics on " + d.metricsUrl());
                spec.commandLine().getOut().flush();
            }
            Runtime.getRuntime().addShutdownHook(new Thread(d::close, "daemon-shutdown"));
            d.awaitStop();
            return 0;
        }
    }
}
