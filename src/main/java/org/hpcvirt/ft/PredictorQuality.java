package org.hpcvirt.ft;

import org.hpcvirt.api.HpcvirtException;

/**
 * How good a failure predictor is. Immutable and validated.
 *
 * @param recall    fraction of failures that are predicted, in [0, 1]
 * @param precision fraction of predictions that are followed by the predicted failure, in (0, 1]
 * @param leadTime  seconds between a true prediction and its failure, &ge; 0
 */
public record PredictorQuality(double recall, double precision, double leadTime) {
    /** A predictor that never predicts anything. */
    public static final PredictorQuality NONE = new PredictorQuality(0, 1, 0);

    public PredictorQuality {
        if (!(recall >= 0 && recall <= 1)) {
            throw HpcvirtException.invalid("recall must be in [0, 1] (got " + recall + ")");
        }
        if (!(precision > 0 && precision <= 1)) {
            throw HpcvirtException.invalid("precision must be in (0, 1] (got " + precision + ")");
        }
        IntervalInputs.requireNonNegative(leadTime, "lead time");
    }

    /** Predictions per second (true and false) on a platform of the given MTBF: r / (p·M). */
    public double predictionRate(double mtbf) {
        return recall / (precision * mtbf);
    }

    /** False alarms per second on a platform of the given MTBF: r·(1−p) / (p·M). */
    public double falseAlarmRate(double mtbf) {
        return recall * (1 - precision) / (precision * mtbf);
    }
}
