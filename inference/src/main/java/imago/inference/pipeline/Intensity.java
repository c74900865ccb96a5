package imago.inference.pipeline;

import imago.inference.manifest.Manifest.PercentileClip;
import imago.inference.manifest.Manifest.Window;
import java.util.Arrays;
import java.util.List;

/**
 * The VOI step: a manifest's window or percentile clip maps values to [0, 1]; MONOCHROME1
 * planes are then inverted so that higher always means brighter.
 */
final class Intensity {

  private Intensity() {}

  /**
   * Applies {@code window} or {@code clip} (at most one is set) to {@code planes} in place, then
   * inverts MONOCHROME1 planes. A percentile clip takes its percentiles over all planes together
   * (one image, or one series as a volume).
   */
  static void apply(List<Plane> planes, Window window, PercentileClip clip) {
    if (window != null) {
      planes.forEach(p -> window(p.values(), window));
    } else if (clip != null) {
      percentileClip(planes, clip);
    }
    for (Plane plane : planes) {
      if (plane.monochrome1()) {
        if (window != null || clip != null) {
          invertUnit(plane.values());
        } else {
          invertRange(plane.values());
        }
      }
    }
  }

  /**
   * PS3.3 C.11.2.1.3.2 LINEAR_EXACT with output range [0, 1], as the manifest schema defines
   * {@code window}: 0 at or below {@code c - w/2}, 1 above {@code c + w/2}, linear between.
   */
  static void window(double[] values, Window window) {
    double c = window.center();
    double w = window.width();
    for (int i = 0; i < values.length; i++) {
      double x = values[i];
      values[i] = x <= c - w / 2 ? 0 : x > c + w / 2 ? 1 : (x - c) / w + 0.5;
    }
  }

  /**
   * The reference models' rule (models/reference reference.json): clip to the {@code low} and
   * {@code high} percentiles and scale to [0, 1]; a flat image (high <= low) becomes all 0.
   */
  static void percentileClip(List<Plane> planes, PercentileClip clip) {
    double[] sorted = planes.stream().flatMapToDouble(p -> Arrays.stream(p.values())).sorted().toArray();
    double lo = percentile(sorted, clip.low());
    double hi = percentile(sorted, clip.high());
    double span = hi - lo;
    for (Plane plane : planes) {
      double[] v = plane.values();
      for (int i = 0; i < v.length; i++) {
        v[i] = span > 0 ? Math.min(Math.max((v[i] - lo) / span, 0.0), 1.0) : 0.0;
      }
    }
  }

  /**
   * Percentile {@code p} (0..100) of ascending {@code sorted}: rank {@code r = p/100 (n-1)},
   * linear between the closest ranks (numpy's default "linear" method).
   */
  static double percentile(double[] sorted, double p) {
    int n = sorted.length;
    double r = p / 100.0 * (n - 1);
    int f = (int) Math.floor(r);
    double a = sorted[f];
    double b = sorted[Math.min(f + 1, n - 1)];
    return a + (b - a) * (r - f);
  }

  /** PS3.3 C.7.6.3.1.2: MONOCHROME1 is inverted after the VOI step, here in [0, 1]. */
  private static void invertUnit(double[] values) {
    for (int i = 0; i < values.length; i++) {
      values[i] = 1.0 - values[i];
    }
  }

  /** Without a VOI step, mirror the plane's own range: min becomes max and max min. */
  private static void invertRange(double[] values) {
    double min = Arrays.stream(values).min().orElse(0);
    double max = Arrays.stream(values).max().orElse(0);
    for (int i = 0; i < values.length; i++) {
      values[i] = min + max - values[i];
    }
  }
}
