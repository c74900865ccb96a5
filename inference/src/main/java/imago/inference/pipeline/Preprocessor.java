package imago.inference.pipeline;

import imago.inference.manifest.Manifest.Stacking;
import java.util.List;

/**
 * Turns decoded images into model input samples: float32, one batch item each, laid out as
 * {@link #sampleShape()} says ({@code [C, H, W]} for NCHW models, {@code [H, W, C]} for NHWC).
 * The batcher stacks samples into {@code [N, ...]}.
 */
public interface Preprocessor {

  /** Whether each frame is an input ({@code PER_INSTANCE}) or a whole series is one ({@code PER_SERIES}). */
  Stacking stacking();

  /** Per-instance stacking: one sample per frame of {@code image}. */
  List<float[]> samples(DecodedImage image);

  /** Per-series stacking: one sample from all of {@code images}' frames, in slice order. */
  float[] series(List<DecodedImage> images);

  /** The shape of one sample, without the batch dimension. */
  long[] sampleShape();
}
