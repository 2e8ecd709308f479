package org.hpcvirt.guest;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Progress of the long build steps: a progress bar when the output is a terminal, one plain line
 * per step otherwise (logs, CI, tests). Not thread-safe; used by one build at a time.
 */
final class BuildProgress {
    private final PrintStream out;
    private final boolean terminal;

    BuildProgress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Progress on stdout, with bars only if the JVM has a console. */
    static BuildProgress forStdout(PrintStream out) {
        return new BuildProgress(out, System.console() != null);
    }

    void line(String text) {
        out.println(text);
    }

    /** Starts a step of {@code total} units; close the returned step when done. */
    Step step(String name, long total, String unit) {
        if (!terminal) {
            out.println(name + " (" + total + " " + unit + ")");
            return new Step(null);
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(total).setUnit(" " + unit, 1)
                .setConsumer(new ConsoleProgressBarConsumer(out)).continuousUpdate().build();
        return new Step(bar);
    }

    /** One running step. */
    static final class Step implements AutoCloseable {
        private final ProgressBar bar;

        private Step(ProgressBar bar) {
            this.bar = bar;
        }

        void advance(long n) {
            if (bar != null) {
                bar.stepBy(n);
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}
