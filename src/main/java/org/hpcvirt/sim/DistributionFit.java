package org.hpcvirt.sim;

import org.hipparchus.analysis.solvers.BrentSolver;
import org.hipparchus.special.Gamma;
import org.hipparchus.stat.descriptive.StreamingStatistics;
import org.hpcvirt.api.HpcvirtException;

/**
 * Maximum-likelihood fits of the distributions the simulator uses. Stateless and thread-safe.
 */
public final class DistributionFit {
    private DistributionFit() {
    }

    /**
     * Weibull with shape k and scale λ.
     *
     * @param shape k &gt; 0 (k &lt; 1: hazard decreases with age)
     * @param scale λ &gt; 0, seconds
     */
    public record Weibull(double shape, double scale) {
        /** Mean λ·Γ(1 + 1/k). */
        public double mean() {
            return scale * Math.exp(Gamma.logGamma(1 + 1 / shape));
        }

        /** The scale giving {@code mean} for shape {@code k}. */
        public static Weibull withMean(double shape, double mean) {
            return new Weibull(shape, mean / Math.exp(Gamma.logGamma(1 + 1 / shape)));
        }
    }

    /**
     * Lognormal: ln X ~ Normal(mu, sigma²).
     *
     * @param mu    mean of ln X (ln seconds)
     * @param sigma standard deviation of ln X, &ge; 0
     */
    public record LogNormal(double mu, double sigma) {
        /** Mean e^(mu + sigma²/2). */
        public double mean() {
            return Math.exp(mu + sigma * sigma / 2);
        }

        /** Median e^mu. */
        public double median() {
            return Math.exp(mu);
        }
    }

    /**
     * Weibull MLE: the shape solves {@code Σx^k ln x / Σx^k − 1/k − mean(ln x) = 0} (Brent), then
     * {@code λ = (Σx^k / n)^{1/k}}.
     *
     * @param x at least two positive values, not all equal
     */
    public static Weibull weibull(double[] x) {
        requirePositive(x);
        double meanLog = logStats(x).getMean();
        double maxLog = java.util.Arrays.stream(x).map(Math::log).max().orElseThrow();
        // Scaled by the largest value to keep x^k finite for large k.
        java.util.function.DoubleUnaryOperator score = k -> {
            double s = 0;
            double sl = 0;
            for (double v : x) {
                double lv = Math.log(v);
                double w = Math.exp(k * (lv - maxLog));
                s += w;
                sl += w * lv;
            }
            return sl / s - 1 / k - meanLog;
        };
        double k;
        try {
            k = new BrentSolver(1e-12).solve(1000, score::applyAsDouble, 0.01, 50);
        } catch (RuntimeException e) {
            throw HpcvirtException.invalid("Weibull fit failed: " + e.getMessage());
        }
        double s = 0;
        for (double v : x) {
            s += Math.exp(k * (Math.log(v) - maxLog));
        }
        double scale = Math.exp(maxLog + Math.log(s / x.length) / k);
        return new Weibull(k, scale);
    }

    /** Lognormal MLE: mean and population standard deviation of ln x. */
    public static LogNormal logNormal(double[] x) {
        requirePositive(x);
        StreamingStatistics s = logStats(x);
        double popVar = s.getVariance() * (s.getN() - 1) / s.getN();
        return new LogNormal(s.getMean(), Math.sqrt(popVar));
    }

    private static StreamingStatistics logStats(double[] x) {
        StreamingStatistics s = new StreamingStatistics();
        for (double v : x) {
            s.addValue(Math.log(v));
        }
        return s;
    }

    private static void requirePositive(double[] x) {
        if (x.length < 2) {
            throw HpcvirtException.invalid("fit needs at least two values (got " + x.length + ")");
        }
        for (double v : x) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw HpcvirtException.invalid("fit needs positive finite values (got " + v + ")");
            }
        }
    }
}
