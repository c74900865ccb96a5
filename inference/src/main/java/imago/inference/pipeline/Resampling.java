package imago.inference.pipeline;

import imago.inference.manifest.Manifest.Resize;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings planes to the model's height x width and a stack of slices to its channel count, with
 * PyTorch's semantics, since that is where most models' preprocessing was written:
 * {@code torch.nn.functional.interpolate(mode='bilinear', align_corners=False)} (no antialias),
 * {@code mode='nearest'}, and {@code adaptive_avg_pool2d} for AREA.
 */
final class Resampling {

  private Resampling() {}

  static Plane resize(Plane plane, int height, int width, Resize mode) {
    if (plane.rows() == height && plane.columns() == width) {
      return plane;
    }
    double[] out = switch (mode) {
      case BILINEAR -> bilinear(plane, height, width);
      case NEAREST -> nearest(plane, height, width);
      case AREA -> area(plane, height, width);
    };
    return plane.with(out, height, width);
  }

  private static double[] bilinear(Plane plane, int height, int width) {
    Taps ys = Taps.linear(plane.rows(), height);
    Taps xs = Taps.linear(plane.columns(), width);
    double[] in = plane.values();
    int w = plane.columns();
    double[] out = new double[height * width];
    for (int y = 0; y < height; y++) {
      int r0 = ys.low[y] * w;
      int r1 = ys.high[y] * w;
      double ly = ys.weight[y];
      for (int x = 0; x < width; x++) {
        double lx = xs.weight[x];
        double top = (1 - lx) * in[r0 + xs.low[x]] + lx * in[r0 + xs.high[x]];
        double bottom = (1 - lx) * in[r1 + xs.low[x]] + lx * in[r1 + xs.high[x]];
        out[y * width + x] = (1 - ly) * top + ly * bottom;
      }
    }
    return out;
  }

  /** torch 'nearest': source index {@code floor(dst * in / out)}, capped at the last. */
  private static double[] nearest(Plane plane, int height, int width) {
    double[] in = plane.values();
    double[] out = new double[height * width];
    for (int y = 0; y < height; y++) {
      int sy = Math.min((int) Math.floor(y * (double) plane.rows() / height), plane.rows() - 1);
      for (int x = 0; x < width; x++) {
        int sx = Math.min((int) Math.floor(x * (double) plane.columns() / width), plane.columns() - 1);
        out[y * width + x] = in[sy * plane.columns() + sx];
      }
    }
    return out;
  }

  /** adaptive_avg_pool2d: output cell i averages source cells floor(i in/out) to ceil((i+1) in/out) - 1. */
  private static double[] area(Plane plane, int height, int width) {
    double[] in = plane.values();
    double[] out = new double[height * width];
    int h = plane.rows();
    int w = plane.columns();
    for (int y = 0; y < height; y++) {
      int y0 = y * h / height;
      int y1 = ((y + 1) * h + height - 1) / height;
      for (int x = 0; x < width; x++) {
        int x0 = x * w / width;
        int x1 = ((x + 1) * w + width - 1) / width;
        double sum = 0;
        for (int sy = y0; sy < y1; sy++) {
          for (int sx = x0; sx < x1; sx++) {
            sum += in[sy * w + sx];
          }
        }
        out[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
    return out;
  }

  /**
   * {@code slices} (equal size) resampled along the stack to {@code channels}, linearly with the
   * same align_corners=False rule as {@link #bilinear}: one slice is replicated, n = channels is
   * the identity.
   */
  static List<double[]> fitChannels(List<double[]> slices, int channels) {
    if (slices.size() == channels) {
      return slices;
    }
    Taps taps = Taps.linear(slices.size(), channels);
    List<double[]> out = new ArrayList<>(channels);
    for (int c = 0; c < channels; c++) {
      double[] a = slices.get(taps.low[c]);
      double[] b = slices.get(taps.high[c]);
      double l = taps.weight[c];
      double[] mixed = new double[a.length];
      for (int i = 0; i < a.length; i++) {
        mixed[i] = (1 - l) * a[i] + l * b[i];
      }
      out.add(mixed);
    }
    return out;
  }

  /** For each output index: the two source indices it blends and the weight of the second. */
  private record Taps(int[] low, int[] high, double[] weight) {

    /**
     * torch's align_corners=False source coordinate: {@code (dst + 0.5) in / out - 0.5}, clamped
     * at 0; the upper neighbour is clamped at the last source index.
     */
    static Taps linear(int in, int out) {
      int[] low = new int[out];
      int[] high = new int[out];
      double[] weight = new double[out];
      double scale = (double) in / out;
      for (int d = 0; d < out; d++) {
        double src = Math.max((d + 0.5) * scale - 0.5, 0.0);
        low[d] = Math.min((int) src, in - 1);
        high[d] = Math.min(low[d] + 1, in - 1);
        weight[d] = src - low[d];
      }
      return new Taps(low, high, weight);
    }
  }
}
