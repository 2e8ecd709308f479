package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.daemon.TcpListener;
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

    /** {@code --listen ADDR:PORT --token-file F}: the optional TCP listener for other nodes' daemons. */
    static final class Listen {
        @CommandLine.Option(names = "--listen", paramLabel = "ADDR:PORT",
                description = "Also serve the API over TCP here (for other nodes; needs --token-file). Env: HPCVIRT_LISTEN.")
        String listen;

        @CommandLine.Option(names = "--token-file", paramLabel = "F",
                description = "File holding the cluster's shared token (first line). Env: HPCVIRT_TOKEN_FILE.")
        java.nio.file.Path tokenFile;

        /** The listener from the options, else from the environment, else null. */
        TcpListener resolve() {
            if (listen == null) {
                if (tokenFile != null) {
                    throw org.hpcvirt.api.HpcvirtException.invalid("--token-file without --listen");
                }
                return TcpListener.fromEnvironment();
            }
            java.nio.file.Path f = tokenFile != null ? tokenFile : org.hpcvirt.api.NodeConfig.current().tokenFile();
            return TcpListener.of(listen, f);
        }

        /** The listener options as the environment of a spawned daemon (options win over the inherited environment). */
        java.util.Map<String, String> environment() {
            org.hpcvirt.api.NodeConfig c = org.hpcvirt.api.NodeConfig.current();
            java.util.Map<String, String> env = new java.util.HashMap<>();
            env.put(TcpListener.ENV_LISTEN, listen != null ? listen : c.listen());
            env.put(TcpListener.ENV_TOKEN_FILE, tokenFile != null ? tokenFile.toAbsolutePath().toString()
                    : c.tokenFile() == null ? null : c.tokenFile().toString());
            return env;
        }
    }

    /** Starts a daemon in the background unless one runs. */
    @Command(name = "start", description = "Start the daemon in the background (no-op if it runs).")
    static final class Start implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Listen listen;

        @Override
        public Integer call() {
            NodeLayout layout = NodeLayout.fromEnvironment();
            PrintWriter out = spec.commandLine().getOut();
            if (DaemonClient.running(layout)) {
                out.println("hpcvirtd already running for " + layout.home());
                return 0;
            }
            TcpListener tcp = listen.resolve();
            long pid = DaemonClient.spawnDaemon(layout, tcp == null ? java.util.Map.of() : listen.environment());
            out.println("hpcvirtd started (pid " + pid + ") for " + layout.home() + (tcp == null ? ""
                    : ", listening on " + tcp.host() + ":" + tcp.port() + " (token required)"));
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
            if (!DaemonClient.running(layout)) {
                out.println("hpcvirtd not running for " + layout.home());
                return 0;
            }
            DaemonClient.stop(layout, java.time.Duration.ofSeconds(15));
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
            }
            return 0;
        }
    }

    /** Runs the daemon in the foreground (what {@code start} launches). */
    @Command(name = "run", description = "Run the daemon in the foreground.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        Listen listen;

        @Override
        public Integer call() throws InterruptedException {
            Daemon d = Daemon.start(NodeLayout.fromEnvironment(), listen.resolve());
            Runtime.getRuntime().addShutdownHook(new Thread(d::close, "daemon-shutdown"));
            d.awaitStop();
            return 0;
        }
    }
}
