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
    double[] all = planes.size() == 1 ? planes.get(0).values().clone()
        : planes.stream().flatMapToDouble(p -> Arrays.stream(p.values())).toArray();
    double lo = selectPercentile(all, 0, clip.low());
    double hi = selectPercentile(all, rank(all.length, clip.low()) + 1, clip.high());
    double span = hi - lo;
    for (Plane plane : planes) {
      double[] v = plane.values();
      for (int i = 0; i < v.length; i++) {
        v[i] = span > 0 ? Math.min(Math.max((v[i] - lo) / span, 0.0), 1.0) : 0.0;
      }
    }
  }

  /** The lower of the two closest ranks of percentile {@code p} among {@code n} values. */
  private static int rank(int n, double p) {
    return (int) Math.floor(p / 100.0 * (n - 1));
  }

  /**
   * Percentile {@code p} (0..100) of {@code values}: rank {@code r = p/100 (n-1)}, linear between
   * the closest ranks (numpy's default "linear" method), found without sorting: the
   * two closest ranks are selected in place (quickselect, linear time on average; a full sort
   * of a 512 x 512 image costs several milliseconds a plane). {@code values} is reordered; every
   * position before {@code from} must hold a value no greater than any from there on (what an
   * earlier selection of a lower rank leaves), so a second, higher percentile need only search
   * the rest.
   */
  static double selectPercentile(double[] values, int from, double p) {
    int n = values.length;
    double r = p / 100.0 * (n - 1);
    int f = rank(n, p);
    double a = select(values, Math.min(Math.max(from, 0), f), n - 1, f);
    if (f + 1 >= n || r == f) return a;
    double b = values[f + 1];
    for (int i = f + 2; i < n; i++) b = Math.min(b, values[i]); // after the selection: all >= a
    return a + (b - a) * (r - f);
  }

  /**
   * The k-th smallest of {@code v[lo..hi]}, left at {@code v[k]} with no larger one before it and
   * no smaller one after. Three-way partitions (smaller, equal, larger than the pivot), so that
   * many equal values (a flat or saturated image, the air around a CT) cost one pass, not one
   * pass each.
   */
  private static double select(double[] v, int lo, int hi, int k) {
    while (hi > lo) {
      int mid = (lo + hi) >>> 1;
      // median of three as the pivot
      double a = v[lo];
      double b = v[mid];
      double c = v[hi];
      double pivot = a < b ? (b < c ? b : Math.max(a, c)) : (a < c ? a : Math.max(b, c));
      int lt = lo;
      int gt = hi;
      int i = lo;
      while (i <= gt) {
        if (v[i] < pivot) {
          swap(v, lt++, i++);
        } else if (v[i] > pivot) {
          swap(v, i, gt--);
        } else {
          i++;
        }
      }
      // now v[lo..lt) < pivot, v[lt..gt] == pivot, v(gt..hi] > pivot
      if (k < lt) {
        hi = lt - 1;
      } else if (k > gt) {
        lo = gt + 1;
      } else {
        return pivot;
      }
    }
    return v[k];
  }

  private static void swap(double[] v, int i, int j) {
    double t = v[i];
    v[i] = v[j];
    v[j] = t;
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
