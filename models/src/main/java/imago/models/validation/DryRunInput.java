package imago.models.validation;

import imago.inference.engine.Tensor;

/**
 * The synthetic input of a dry run: element {@code i} (row-major) is
 * {@code ((i * 7919) mod 1000) / 1000 - 0.5}. Deterministic and cheap to reproduce in any language,
 * so the reference script (models/reference) computes the same tensor and its outputs can be
 * compared with Imago's to 1e-4.
 */
public final class DryRunInput {
  private DryRunInput() {}

  public static Tensor of(long[] shape) {
    long count = 1;
    for (long d : shape) count *= d;
    if (count > Integer.MAX_VALUE) throw new IllegalArgumentException("input too large for a dry run");
    float[] data = new float[(int) count];
    for (int i = 0; i < data.length; i++) data[i] = (float) (((i * 7919L) % 1000) / 1000.0 - 0.5);
    return new Tensor(data, shape.clone());
  }
}
