package imago.inference.pipeline;

import imago.inference.manifest.Manifest;
import imago.inference.manifest.Manifest.Input;
import imago.inference.manifest.Manifest.Layout;
import imago.inference.manifest.Manifest.Preprocessing;
import imago.inference.manifest.Manifest.Stacking;
import java.util.ArrayList;
import java.util.List;

/**
 * Preprocessing as a model's manifest declares it, in this order, in double precision with one
 * cast to float32 at the end (as the reference models' Python does):
 * <ol>
 *   <li>modality values (Rescale Slope/Intercept), or the stored values if {@code rescale} is false;
 *   <li>window (LINEAR_EXACT) or percentile clip to [0, 1], then MONOCHROME1 inverted
 *       (PS3.3 C.7.6.3.1.2 places the inversion after the VOI step; see {@link Intensity});
 *   <li>resize to the input's height x width ({@link Resampling});
 *   <li>slices fitted to the input's channels: one plane is replicated, a series is resampled
 *       linearly along the slice direction;
 *   <li>normalise {@code (x - mean[c]) / std[c]} per output channel;
 *   <li>laid out as the input's layout.
 * </ol>
 */
public final class ManifestPreprocessor implements Preprocessor {

  private final Input input;
  private final Preprocessing steps;

  public ManifestPreprocessor(Manifest manifest) {
    this.input = manifest.input();
    this.steps = manifest.preprocessing();
  }

  @Override
  public Stacking stacking() {
    return steps.stacking();
  }

  /** One sample per frame, {@code [C, H, W]} or {@code [H, W, C]} as the manifest's layout says. */
  @Override
  public List<float[]> samples(DecodedImage image) {
    List<float[]> samples = new ArrayList<>(image.frames().size());
    for (int f = 0; f < image.frames().size(); f++) {
      samples.add(sample(List.of(plane(image, f))));
    }
    return samples;
  }

  /**
   * One sample for the whole series: every frame of {@code images}, sorted along the slice
   * normal (else by Instance Number), fitted to the input's channels. A percentile clip takes
   * its percentiles over the whole series.
   */
  @Override
  public float[] series(List<DecodedImage> images) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("a series sample needs at least one image");
    }
    List<Plane> slices = new ArrayList<>();
    for (DecodedImage image : SliceOrder.sort(images)) {
      for (int f = 0; f < image.frames().size(); f++) {
        slices.add(plane(image, f));
      }
    }
    return sample(slices);
  }

  @Override
  public long[] sampleShape() {
    long[] batched = input.shape(1);
    long[] shape = new long[batched.length - 1];
    System.arraycopy(batched, 1, shape, 0, shape.length);
    return shape;
  }

  private Plane plane(DecodedImage image, int frame) {
    return new Plane(image.values(frame, steps.rescale()), image.rows(), image.columns(), image.monochrome1());
  }

  private float[] sample(List<Plane> slices) {
    Intensity.apply(slices, steps.window(), steps.percentileClip());
    List<double[]> resized = new ArrayList<>(slices.size());
    for (Plane slice : slices) {
      resized.add(Resampling.resize(slice, input.height(), input.width(), steps.resize()).values());
    }
    List<double[]> channels = Resampling.fitChannels(resized, input.channels());
    return layout(normalise(channels));
  }

  private List<double[]> normalise(List<double[]> channels) {
    if (steps.mean() == null || steps.std() == null) {
      return channels;
    }
    List<double[]> out = new ArrayList<>(channels.size());
    for (int c = 0; c < channels.size(); c++) {
      double mean = perChannel(steps.mean(), c);
      double std = perChannel(steps.std(), c);
      double[] in = channels.get(c);
      double[] normalised = new double[in.length];
      for (int i = 0; i < in.length; i++) {
        normalised[i] = (in[i] - mean) / std;
      }
      out.add(normalised);
    }
    return out;
  }

  /** The schema allows one value for every channel or one per channel. */
  private static double perChannel(double[] values, int channel) {
    return values.length == 1 ? values[0] : values[channel];
  }

  private float[] layout(List<double[]> channels) {
    int c = channels.size();
    int size = input.height() * input.width();
    float[] out = new float[c * size];
    for (int ch = 0; ch < c; ch++) {
      double[] plane = channels.get(ch);
      for (int i = 0; i < size; i++) {
        out[input.layout() == Layout.NCHW ? ch * size + i : i * c + ch] = (float) plane[i];
      }
    }
    return out;
  }
}
