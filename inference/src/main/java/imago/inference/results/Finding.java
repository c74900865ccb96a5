package imago.inference.results;

import imago.inference.manifest.Manifest;
import java.util.Objects;

/**
 * One classification finding: a label, its code, the model's probability and the decision
 * threshold ({@code NaN} when the manifest gives none); and, when known, the source image (index
 * among the job's decoded instances) and frame (1-based, multi-frame only) that gave the probability.
 */
public record Finding(String label, Manifest.Code code, double probability, double threshold, Integer source,
    Integer referencedFrame) {
  /** A finding not tied to the image that gave its probability. */
  public Finding(String label, Manifest.Code code, double probability, double threshold) {
    this(label, code, probability, threshold, null, null);
  }

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
