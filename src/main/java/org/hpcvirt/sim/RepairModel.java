package org.hpcvirt.sim;

import java.util.random.RandomGenerator;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;

/**
 * How long the job waits after a failure before its restart can begin: a fixed duration, or
 * lognormal (given, or fitted to the repair times of a trace). Immutable.
 */
public sealed interface RepairModel {
    /** One downtime in seconds. */
    double draw(RandomGenerator rng);

    /** Mean downtime in seconds. */
    double mean();

    /** The model as written in a scenario. */
    String spec();

    /** Always {@code seconds}. */
    record Fixed(double seconds) implements RepairModel {
        @Override
        public double draw(RandomGenerator rng) {
            return seconds;
        }

        @Override
        public double mean() {
            return seconds;
        }

        @Override
        public String spec() {
            return Durations.format(java.time.Duration.ofNanos(Math.round(seconds * 1e9)));
        }
    }

    /** Lognormal downtimes. */
    record LogNormal(DistributionFit.LogNormal dist) implements RepairModel {
        @Override
        public double draw(RandomGenerator rng) {
            return Math.exp(dist.mu() + dist.sigma() * rng.nextGaussian());
        }

        @Override
        public double mean() {
            return dist.mean();
        }

        @Override
        public String spec() {
            return String.format(java.util.Locale.ROOT, "lognormal:%s:%.3f",
                    Durations.format(java.time.Duration.ofNanos(Math.round(dist.median() * 1e9))), dist.sigma());
        }
    }

    /**
     * Parses {@code DURATION}, {@code lognormal:MEDIAN:SIGMA} or {@code trace} (lognormal fitted to
     * the repair times of {@code failures}, which must then be a trace).
     */
    static RepairModel parse(String text, String what, FailureModel failures) {
        String t = text == null ? "" : text.trim();
        if (t.equals("trace")) {
            if (!(failures instanceof FailureModel.Trace tr)) {
                throw HpcvirtException.invalid(what + ": 'trace' needs failures: trace:FILE[:SYSTEM]");
            }
            return new LogNormal(DistributionFit.logNormal(tr.trace().downtimes()));
        }
        if (t.startsWith("lognormal:")) {
            String[] p = t.split(":");
            if (p.length != 3) {
                throw HpcvirtException.invalid(what + ": use lognormal:MEDIAN:SIGMA, e.g. lognormal:30m:1.2");
            }
            double median = Durations.seconds(Durations.parse(p[1], what + " median"));
            double sigma;
            try {
                sigma = Double.parseDouble(p[2]);
            } catch (NumberFormatException e) {
                throw HpcvirtException.invalid(what + ": sigma '" + p[2] + "' is not a number");
            }
            if (!(median > 0) || !(sigma >= 0 && sigma < 10)) {
                throw HpcvirtException.invalid(what + ": median must be positive and sigma in [0, 10)");
            }
            return new LogNormal(new DistributionFit.LogNormal(Math.log(median), sigma));
        }
        return new Fixed(Durations.seconds(Durations.parse(t, what)));
    }
}
