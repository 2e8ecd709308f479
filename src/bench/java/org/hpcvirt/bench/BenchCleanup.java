package org.hpcvirt.bench;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a benchmark must undo (VMs, domains, daemons, temporary directories), undone in reverse
 * order exactly once: by {@link #close()} at the end of the run, or by a shutdown hook when the JVM
 * is ended early (Ctrl-C, SIGTERM), where {@code finally} blocks do not run. Each step that fails is
 * reported on one line and the others still run. Thread-safe.
 */
final class BenchCleanup implements AutoCloseable {
    private final Deque<Step> steps = new ArrayDeque<>();
    private final PrintWriter out;
    private final Thread hook;
    private boolean shuttingDown;

    private record Step(String what, Runnable action) {
    }

    BenchCleanup(PrintWriter out) {
        this.out = out;
        this.hook = new Thread(() -> {
            synchronized (this) {
                shuttingDown = true;
            }
            runAll();
        }, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Adds a step, undone before every step added earlier; once the JVM is shutting down, a step
     * added late (the run had just made something) is undone at once.
     */
    void push(String what, Runnable action) {
        synchronized (this) {
            steps.push(new Step(what, action));
            if (!shuttingDown) {
                return;
            }
        }
        runAll();
    }

    /** Runs and forgets the steps added so far (newest first). */
    void runAll() {
        while (true) {
            Step s;
            synchronized (this) {
                s = steps.poll();
            }
            if (s == null) {
                return;
            }
            try {
                s.action().run();
            } catch (RuntimeException e) {
                out.println("clean-up: " + s.what() + " failed: " + e.getMessage());
                out.flush();
            }
        }
    }

    @Override
    public void close() {
        runAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs (or ran) the same steps
        }
    }
}
