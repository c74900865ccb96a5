package imago.inference.results;

import imago.inference.manifest.Manifest;
import java.util.Objects;

/**
 * One classification finding: a label, its code, the model's probability and the decision
 * threshold ({@code NaN} when the manifest gives none).
 */
public record Finding(String label, Manifest.Code code, double probability, double threshold) {
  public Finding {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(code, "code");
    if (label.isBlank()) throw new IllegalArgumentException("label is blank");
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("probability must be within [0, 1], got " + probability);
    }
    if (!Double.isNaN(threshold) && !(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be NaN or within [0, 1], got " + threshold);
    }
  }

  public boolean hasThreshold() {
    return !Double.isNaN(threshold);
  }

  /** True when a threshold is given and the probability reaches it; without a threshold, false. */
  public boolean present() {
    return hasThreshold() && probability >= threshold;
  }
}
