package org.hpcvirt.sim;

import org.hipparchus.distribution.continuous.TDistribution;
import org.hipparchus.stat.descriptive.StreamingStatistics;

/**
 * A mean over replications with its 95 % confidence interval (Student t; half-width 0 with one
 * replication).
 *
 * @param mean mean value
 * @param low  lower end of the 95 % interval
 * @param high upper end of the 95 % interval
 */
public record Estimate(double mean, double low, double high) {
    /** The estimate of the mean of {@code values}. */
    public static Estimate of(double[] values) {
        StreamingStatistics s = new StreamingStatistics();
        for (double v : values) {
            s.addValue(v);
        }
        if (values.length < 2) {
            return new Estimate(s.getMean(), s.getMean(), s.getMean());
        }
        double t = new TDistribution(values.length - 1).inverseCumulativeProbability(0.975);
        double half = t * s.getStandardDeviation() / Math.sqrt(values.length);
        return new Estimate(s.getMean(), s.getMean() - half, s.getMean() + half);
    }

    /** Half the width of the interval. */
    public double halfWidth() {
        return (high - low) / 2;
    }
}
