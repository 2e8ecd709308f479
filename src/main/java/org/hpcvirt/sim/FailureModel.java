package org.hpcvirt.sim;

import java.nio.file.Path;
import java.util.random.RandomGenerator;
import org.hpcvirt.api.HpcvirtException;

/**
 * How platform failures are generated: {@code exponential}, {@code weibull:SHAPE} (node lifetimes
 * with the given mean), or {@code trace:FILE[:SYSTEM]} (replay of a real trace). Immutable.
 */
public sealed interface FailureModel {
    /** A new failure process for one run. */
    FailureProcess start(int nodes, double nodeMtbf, RandomGenerator rng);

    /** Mean time between failures of the whole platform, in seconds. */
    double platformMtbf(int nodes, double nodeMtbf);

    /** The number of nodes of the platform (a trace brings its own). */
    default int nodes(int requested) {
        return requested;
    }

    /** The model as written in a scenario. */
    String spec();

    /** Exponential node lifetimes. */
    record Exponential() implements FailureModel {
        @Override
        public FailureProcess start(int nodes, double nodeMtbf, RandomGenerator rng) {
            return new ExponentialFailures(nodes, nodeMtbf, rng);
        }

        @Override
        public double platformMtbf(int nodes, double nodeMtbf) {
            return nodeMtbf / nodes;
        }

        @Override
        public String spec() {
            return "exponential";
        }
    }

    /** Weibull node lifetimes with shape {@code shape} and mean node MTBF; renewal on failure. */
    record Weibull(double shape) implements FailureModel {
        @Override
        public FailureProcess start(int nodes, double nodeMtbf, RandomGenerator rng) {
            return new WeibullFailures(nodes, shape, DistributionFit.Weibull.withMean(shape, nodeMtbf).scale(), rng);
        }

        /** The long-run platform MTBF (renewal theory): node mean / N. */
        @Override
        public double platformMtbf(int nodes, double nodeMtbf) {
            return nodeMtbf / nodes;
        }

        @Override
        public String spec() {
            return "weibull:" + shape;
        }
    }

    /** Replay of {@code trace}; each run starts at a random offset in it and wraps around. */
    record Trace(String file, FailureTrace trace) implements FailureModel {
        @Override
        public FailureProcess start(int nodes, double nodeMtbf, RandomGenerator rng) {
            return new TraceReplay(trace, rng.nextDouble() * trace.span());
        }

        @Override
        public double platformMtbf(int nodes, double nodeMtbf) {
            return trace.span() / trace.size();
        }

        @Override
        public int nodes(int requested) {
            return trace.nodes();
        }

        @Override
        public String spec() {
            return "trace:" + file + ":" + trace.system();
        }
    }

    /** Parses a model; {@code what} names the field or flag in errors. */
    static FailureModel parse(String text, String what) {
        String t = text == null ? "" : text.trim();
        if (t.equals("exponential")) {
            return new Exponential();
        }
        if (t.startsWith("weibull:")) {
            double k;
            try {
                k = Double.parseDouble(t.substring("weibull:".length()));
            } catch (NumberFormatException e) {
                throw HpcvirtException.invalid(what + ": '" + text + "': shape must be a number (e.g. weibull:0.7)");
            }
            if (!(k > 0.05 && k < 50)) {
                throw HpcvirtException.invalid(what + ": Weibull shape must be in (0.05, 50) (got " + k + ")");
            }
            return new Weibull(k);
        }
        if (t.startsWith("trace:")) {
            String rest = t.substring("trace:".length());
            String system = null;
            int colon = rest.lastIndexOf(':');
            if (colon > 0 && rest.substring(colon + 1).matches("[0-9]+")) {
                system = rest.substring(colon + 1);
                rest = rest.substring(0, colon);
            }
            if (rest.isEmpty()) {
                throw HpcvirtException.invalid(what + ": trace needs a file (trace:FILE[:SYSTEM])");
            }
            return new Trace(rest, FailureTrace.load(Path.of(rest), system));
        }
        throw HpcvirtException.invalid(what + ": unknown failure model '" + text
                + "' (use exponential, weibull:SHAPE or trace:FILE[:SYSTEM])");
    }
}
