package imago.models.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The figures a model is judged by, computed here from scores and ground truth (and checked in the
 * tests against scikit-learn): ROC AUC, sensitivity and specificity at an operating threshold,
 * percentile bootstrap confidence intervals, and for detectors the FROC curve.
 */
public final class Metrics {
  /** The false-positive rates per image FROC sensitivities are read at (LUNA16's seven). */
  public static final double[] FP_RATES = {0.125, 0.25, 0.5, 1, 2, 4, 8};

  private Metrics() {}

  /** A figure and its 95 % confidence interval (NaN bounds when it has none). */
  public record Interval(double value, double low, double high) {}

  /** A metric of scores against truth (true: the finding is there). */
  @FunctionalInterface
  public interface Metric {
    double of(double[] scores, boolean[] truth);
  }

  /**
   * Area under the ROC curve: the chance that a random positive scores above a random negative,
   * ties counting half (the Mann-Whitney U statistic over both counts). NaN without both classes.
   */
  public static double auc(double[] scores, boolean[] truth) {
    int n = scores.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    double rankSumPositives = 0;
    long positives = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
      double rank = (i + j) / 2.0 + 1; // mean rank of the tied run, 1-based
      for (int k = i; k <= j; k++) {
        if (truth[order[k]]) {
          rankSumPositives += rank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) return Double.NaN;
    return (rankSumPositives - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /** The share of positives scored at or above {@code threshold}; NaN without positives. */
  public static double sensitivity(double[] scores, boolean[] truth, double threshold) {
    int tp = 0;
    int p = 0;
    for (int i = 0; i < scores.length; i++) {
      if (!truth[i]) continue;
      p++;
      if (scores[i] >= threshold) tp++;
    }
    return p == 0 ? Double.NaN : (double) tp / p;
  }

  /** The share of negatives scored below {@code threshold}; NaN without negatives. */
  public static double specificity(double[] scores, boolean[] truth, double threshold) {
    int tn = 0;
    int n = 0;
    for (int i = 0; i < scores.length; i++) {
      if (truth[i]) continue;
      n++;
      if (scores[i] < threshold) tn++;
    }
    return n == 0 ? Double.NaN : (double) tn / n;
  }

  /**
   * {@code metric} with a 95 % percentile bootstrap interval: {@code resamples} draws of the cases
   * with replacement ({@code seed}: the same data give the same interval); draws where the metric
   * is undefined (one class only) are left out.
   */
  public static Interval bootstrap(double[] scores, boolean[] truth, Metric metric, int resamples, long seed) {
    double value = metric.of(scores, truth);
    SplittableRandom random = new SplittableRandom(seed);
    int n = scores.length;
    double[] draws = new double[resamples];
    int kept = 0;
    double[] s = new double[n];
    boolean[] t = new boolean[n];
    for (int r = 0; r < resamples; r++) {
      for (int i = 0; i < n; i++) {
        int k = random.nextInt(n);
        s[i] = scores[k];
        t[i] = truth[k];
      }
      double m = metric.of(s, t);
      if (!Double.isNaN(m)) draws[kept++] = m;
    }
    if (kept < 2) return new Interval(value, Double.NaN, Double.NaN);
    double[] sorted = Arrays.copyOf(draws, kept);
    Arrays.sort(sorted);
    return new Interval(value, percentile(sorted, 2.5), percentile(sorted, 97.5));
  }

  /** Linear interpolation between closest ranks (NumPy's default). */
  static double percentile(double[] sorted, double p) {
    double x = p / 100 * (sorted.length - 1);
    int lo = (int) Math.floor(x);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
  }

  /**
   * The ROC curve's corners, as scikit-learn's {@code roc_curve(drop_intermediate=False)}: from
   * (0, 0), one point per distinct score, highest first. Each point is {fpr, tpr, threshold}.
   */
  public static List<double[]> roc(double[] scores, boolean[] truth) {
    int n = scores.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
    int positives = 0;
    for (boolean b : truth) if (b) positives++;
    int negatives = n - positives;
    List<double[]> curve = new ArrayList<>();
    curve.add(new double[] {0, 0, Double.POSITIVE_INFINITY});
    int tp = 0;
    int fp = 0;
    for (int i = 0; i < n; ) {
      double score = scores[order[i]];
      while (i < n && scores[order[i]] == score) {
        if (truth[order[i]]) tp++;
        else fp++;
        i++;
      }
      curve.add(new double[] {negatives == 0 ? Double.NaN : (double) fp / negatives,
          positives == 0 ? Double.NaN : (double) tp / positives, score});
    }
    return curve;
  }

  /** A detector's boxes on one image, and the lesions really there (boxes x0, y0, x1, y1). */
  public record DetectionCase(List<double[]> lesions, List<ScoredBox> predictions) {}

  public record ScoredBox(double[] box, double score) {}

  /**
   * A FROC curve: lesions found against false positives per image, one point per distinct score.
   * A prediction finds a lesion when its centre lies within the lesion's box; a lesion counts
   * once however many boxes find it, and a box that finds a lesion already found is neither a hit
   * nor a false positive; every other box is a false positive.
   *
   * @param points {fp per image, sensitivity, threshold}, lowest threshold last
   * @param atRates sensitivity at each of {@link #FP_RATES}: the best reached at or under that rate
   * @param lesions how many lesions the images hold
   */
  public record Froc(List<double[]> points, double[] atRates, double mean, int lesions, int images) {}

  public static Froc froc(List<DetectionCase> cases) {
    record Candidate(int image, double[] box, double score) {}
    List<Candidate> all = new ArrayList<>();
    int lesions = 0;
    for (int i = 0; i < cases.size(); i++) {
      lesions += cases.get(i).lesions().size();
      for (ScoredBox b : cases.get(i).predictions()) all.add(new Candidate(i, b.box(), b.score()));
    }
    all.sort(Comparator.comparingDouble(Candidate::score).reversed());
    boolean[][] found = new boolean[cases.size()][];
    for (int i = 0; i < cases.size(); i++) found[i] = new boolean[cases.get(i).lesions().size()];
    List<double[]> points = new ArrayList<>();
    int hits = 0;
    int falsePositives = 0;
    int images = Math.max(1, cases.size());
    for (int k = 0; k < all.size(); ) {
      double score = all.get(k).score();
      while (k < all.size() && all.get(k).score() == score) {
        Candidate c = all.get(k++);
        double cx = (c.box()[0] + c.box()[2]) / 2;
        double cy = (c.box()[1] + c.box()[3]) / 2;
        List<double[]> truth = cases.get(c.image()).lesions();
        boolean onLesion = false;
        for (int l = 0; l < truth.size(); l++) {
          double[] t = truth.get(l);
          if (cx >= t[0] && cx <= t[2] && cy >= t[1] && cy <= t[3]) {
            onLesion = true;
            if (!found[c.image()][l]) {
              found[c.image()][l] = true;
              hits++;
              break;
            }
          }
        }
        if (!onLesion) falsePositives++;
      }
      points.add(new double[] {(double) falsePositives / images, lesions == 0 ? Double.NaN : (double) hits / lesions, score});
    }
    double[] at = new double[FP_RATES.length];
    double sum = 0;
    for (int r = 0; r < FP_RATES.length; r++) {
      double best = 0;
      for (double[] p : points) if (p[0] <= FP_RATES[r] && p[1] > best) best = p[1];
      at[r] = lesions == 0 ? Double.NaN : best;
      sum += at[r];
    }
    return new Froc(points, at, sum / FP_RATES.length, lesions, cases.size());
  }
}
