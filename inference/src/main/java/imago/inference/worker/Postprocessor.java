package imago.inference.worker;

import imago.inference.engine.InferenceException;
import imago.inference.manifest.Manifest;
import java.util.Arrays;

/**
 * Turns one sample's raw model output into what the manifest promises: per-label probabilities
 * (classification, after the declared activation) or a label map (segmentation: per pixel, the
 * channel with the highest score; channel 0 is background).
 */
public final class Postprocessor {
  private final Manifest manifest;
  private final long[] sampleOutputShape;
  private final int size;

  public Postprocessor(Manifest manifest) {
    this.manifest = manifest;
    long[] full = manifest.outputShape(1);
    this.sampleOutputShape = Arrays.copyOfRange(full, 1, full.length);
    long n = 1;
    for (long d : sampleOutputShape) n *= d;
    this.size = (int) n;
  }

  /** Probabilities, one per manifest label, in label order. */
  public double[] probabilities(float[] raw) throws InferenceException {
    check(raw);
    double[] p = new double[raw.length];
    switch (manifest.output().activation()) {
      case SOFTMAX -> {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : raw) max = Math.max(max, v);
        double sum = 0;
        for (int i = 0; i < raw.length; i++) sum += p[i] = Math.exp(raw[i] - max);
        for (int i = 0; i < raw.length; i++) p[i] /= sum;
      }
      case SIGMOID -> {
        for (int i = 0; i < raw.length; i++) p[i] = 1 / (1 + Math.exp(-raw[i]));
      }
      case NONE -> {
        for (int i = 0; i < raw.length; i++) p[i] = raw[i];
      }
    }
    for (double v : p) {
      if (Double.isNaN(v)) throw new InferenceException("model output holds NaN");
      if (v < 0 || v > 1) {
        throw new InferenceException("output " + v + " is not a probability: the manifest declares activation "
            + manifest.output().activation().name().toLowerCase(java.util.Locale.ROOT) + "; declare softmax or sigmoid for logits");
      }
    }
    return p;
  }

  /** The label map, {@code height x width}, row-major: 0 background, k the manifest's k-th segment. */
  public int[] labelMap(float[] raw) throws InferenceException {
    check(raw);
    int channels = (int) sampleOutputShape[0];
    int pixels = (int) (sampleOutputShape[1] * sampleOutputShape[2]);
    int[] map = new int[pixels];
    for (int px = 0; px < pixels; px++) {
      int best = 0;
      float bestScore = raw[px];
      for (int c = 1; c < channels; c++) {
        float v = raw[c * pixels + px];
        if (v > bestScore) {
          bestScore = v;
          best = c;
        }
      }
      map[px] = best;
    }
    return map;
  }

  private void check(float[] raw) throws InferenceException {
    if (manifest.task() == Manifest.Task.DETECTION) {
      throw new InferenceException("detection outputs are not turned into results yet");
    }
    if (raw.length != size) {
      throw new InferenceException("output of " + raw.length + " values per sample, manifest declares "
          + Arrays.toString(sampleOutputShape) + " = " + size);
    }
  }
}
