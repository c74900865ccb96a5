package imago.inference.worker;

import imago.inference.engine.InferenceException;
import imago.inference.manifest.Manifest;
import imago.inference.pipeline.DecodedImage;
import imago.inference.results.Finding;
import imago.inference.results.Region;
import imago.inference.results.SegmentMask;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns raw model outputs into what the manifest promises: per-label probabilities
 * (classification, after the declared activation) and the series' findings, boxes on the source
 * images (detection), or label maps
 * (segmentation: per pixel, the channel with the highest score; channel 0 is background) and
 * the masks they give on the source images.
 */
public final class Postprocessor {
  /** One sample's probabilities, one per manifest label, in label order. */
  public record Scored(Sample sample, double[] probabilities) {}

  /** A label's finding, with the sample that gave its probability. */
  public record Found(Finding finding, Sample sample) {}

  /** A classifier's answer for a series: every sample's probabilities, and per label its finding. */
  public record Classification(List<Scored> scored, List<Found> found) {
    /** The findings, in label order. */
    public List<Finding> findings() {
      return found.stream().map(Found::finding).toList();
    }
  }

  /**
   * A segmenter's answer for a series: per sample and segment, the mask on the sample's source
   * image; per segment, how many source pixels it covers over the series.
   */
  public record Segmentation(List<SegmentMask> masks, long[] pixels) {
    /** The source pixels segment {@code segmentNumber} (1-based, the label map's order) covers. */
    public long pixels(int segmentNumber) {
      return pixels[segmentNumber - 1];
    }
  }

  /** A detector's answer for a series: the boxes at or above their label's threshold, best first, and per label its finding. */
  public record Detection(List<Region> regions, List<Found> found) {
    /** The findings, in label order: each the best score any box gave the label (0 without one). */
    public List<Finding> findings() {
      return found.stream().map(Found::finding).toList();
    }
  }

  /** The score from which a detector's box is reported when its label gives no threshold. */
  public static final double DEFAULT_DETECTION_THRESHOLD = 0.5;

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

  /**
   * Every sample's probabilities and, per label, the series' finding: the highest probability any
   * sample gave it (the first such sample on a tie), and that sample's image.
   *
   * @param images the job's decoded instances, which a sample's {@code source} indexes
   */
  public Classification classify(List<SampleOutput> outputs, List<DecodedImage> images) throws InferenceException {
    if (outputs.isEmpty()) throw new IllegalArgumentException("a series has at least one sample");
    List<Manifest.Label> labels = manifest.output().labels();
    double[] best = new double[labels.size()];
    Sample[] bestSample = new Sample[labels.size()];
    Arrays.fill(best, Double.NEGATIVE_INFINITY);
    List<Scored> scored = new ArrayList<>(outputs.size());
    for (SampleOutput out : outputs) {
      double[] p = probabilities(out.output());
      for (int l = 0; l < p.length; l++) {
        if (p[l] > best[l]) {
          best[l] = p[l];
          bestSample[l] = out.sample();
        }
      }
      scored.add(new Scored(out.sample(), p));
    }
    List<Found> found = new ArrayList<>(labels.size());
    for (int l = 0; l < labels.size(); l++) {
      Manifest.Label label = labels.get(l);
      Sample at = bestSample[l];
      found.add(new Found(new Finding(label.name(), code(label, l), best[l], label.threshold(), at.source(),
          frame(at, images)), at));
    }
    return new Classification(scored, found);
  }

  /**
   * Every sample's boxes ({@code [boxes, 6]}: x0, y0, x1, y1 in the model input's pixels, score,
   * label index) that reach their label's threshold, mapped onto the sample's source image (the
   * input is the image resized, so each axis scales by image size over input size) and clipped
   * to it; and per label its finding, the best score any box gave it.
   *
   * @param images the job's decoded instances, which a sample's {@code source} indexes
   */
  public Detection detect(List<SampleOutput> outputs, List<DecodedImage> images) throws InferenceException {
    if (outputs.isEmpty()) throw new IllegalArgumentException("a series has at least one sample");
    List<Manifest.Label> labels = manifest.output().labels();
    double[] best = new double[labels.size()];
    Sample[] bestSample = new Sample[labels.size()];
    double[] thresholds = new double[labels.size()];
    for (int l = 0; l < labels.size(); l++) {
      double t = labels.get(l).threshold();
      thresholds[l] = Double.isNaN(t) ? DEFAULT_DETECTION_THRESHOLD : t;
    }
    List<Region> regions = new ArrayList<>();
    int w = manifest.input().width();
    int h = manifest.input().height();
    for (SampleOutput out : outputs) {
      float[] raw = out.output();
      if (raw.length % 6 != 0) throw new InferenceException("detection output of " + raw.length + " values is not boxes of 6");
      Sample sample = out.sample();
      DecodedImage image = images.get(sample.source());
      double sx = image.columns() / (double) w;
      double sy = image.rows() / (double) h;
      for (int b = 0; b < raw.length / 6; b++) {
        int at = b * 6;
        double score = raw[at + 4];
        float index = raw[at + 5];
        if (!(score >= 0 && score <= 1)) {
          throw new InferenceException("box score " + score + " is not a probability: a detector answers scores in [0, 1]");
        }
        int l = (int) index;
        if (l != index || l < 0 || l >= labels.size()) {
          throw new InferenceException("box label index " + index + " names none of the manifest's " + labels.size() + " labels");
        }
        for (int k = 0; k < 4; k++) {
          if (!Float.isFinite(raw[at + k])) throw new InferenceException("box coordinate " + raw[at + k] + " is not a number");
        }
        if (bestSample[l] == null || score > best[l]) {
          best[l] = score;
          bestSample[l] = sample;
        }
        Manifest.Label label = labels.get(l);
        double x0 = clip(raw[at] * sx, image.columns());
        double y0 = clip(raw[at + 1] * sy, image.rows());
        double x1 = clip(raw[at + 2] * sx, image.columns());
        double y1 = clip(raw[at + 3] * sy, image.rows());
        if (score < thresholds[l] || !(x0 < x1 && y0 < y1)) continue; // below threshold, or nothing left on the image
        regions.add(new Region(label.name(), code(label, l), score, sample.source(), frame(sample, images), x0, y0, x1, y1));
      }
    }
    regions.sort((a, b) -> Double.compare(b.probability(), a.probability()));
    List<Found> found = new ArrayList<>(labels.size());
    for (int l = 0; l < labels.size(); l++) {
      Manifest.Label label = labels.get(l);
      Sample at = bestSample[l] != null ? bestSample[l] : outputs.get(0).sample();
      found.add(new Found(new Finding(label.name(), code(label, l), bestSample[l] != null ? best[l] : 0, thresholds[l],
          at.source(), frame(at, images)), at));
    }
    return new Detection(regions, found);
  }

  /** The sample's frame (1-based) when its source is a multi-frame image; null for a single-frame one. */
  private static Integer frame(Sample sample, List<DecodedImage> images) {
    return images.get(sample.source()).frames().size() > 1 ? sample.frame() + 1 : null;
  }

  private static double clip(double v, int max) {
    return Math.max(0, Math.min(max, v));
  }

  /**
   * A label's code; one the researcher could not code (no SNOMED/DCM concept known) gets a
   * private one (PS3.3 8.2: coding scheme designators starting "99" are private) so the SR stays valid.
   */
  private static Manifest.Code code(Manifest.Label label, int index) {
    return label.code() != null ? label.code() : new Manifest.Code("99IMAGO", "L" + (index + 1), label.name());
  }

  /**
   * Every sample's label map as masks on its source image, one per segment in label-map order,
   * and the pixels each segment covers.
   *
   * @param images the job's decoded instances, which a sample's {@code source} indexes
   */
  public Segmentation segment(List<SampleOutput> outputs, List<DecodedImage> images) throws InferenceException {
    int segments = manifest.output().labelMap().size();
    long[] pixels = new long[segments];
    List<SegmentMask> masks = new ArrayList<>();
    for (SampleOutput out : outputs) {
      int[] map = labelMap(out.output());
      Sample sample = out.sample();
      DecodedImage image = images.get(sample.source());
      for (int k = 1; k <= segments; k++) {
        boolean[] mask = mask(map, k, image.rows(), image.columns());
        for (boolean b : mask) if (b) pixels[k - 1]++;
        masks.add(new SegmentMask(k, sample.source(), sample.frame() + 1, mask)); // SEG frames count from 1
      }
    }
    return new Segmentation(masks, pixels);
  }

  /**
   * Where label map {@code map} (the model's height x width) holds {@code label}, resampled to a
   * source image of {@code rows x columns}: each source pixel takes the map pixel its centre
   * falls in (nearest neighbour), so the mask lies on the image it was computed from.
   */
  public boolean[] mask(int[] map, int label, int rows, int columns) {
    int h = manifest.input().height();
    int w = manifest.input().width();
    boolean[] mask = new boolean[rows * columns];
    for (int y = 0; y < rows; y++) {
      int my = Math.min(h - 1, (int) ((y + 0.5) * h / rows));
      for (int x = 0; x < columns; x++) {
        int mx = Math.min(w - 1, (int) ((x + 0.5) * w / columns));
        mask[y * columns + x] = map[my * w + mx] == label;
      }
    }
    return mask;
  }

  private void check(float[] raw) throws InferenceException {
    if (manifest.task() == Manifest.Task.DETECTION) {
      throw new IllegalStateException("a detector's output is boxes: see detect()");
    }
    if (raw.length != size) {
      throw new InferenceException("output of " + raw.length + " values per sample, manifest declares "
          + Arrays.toString(sampleOutputShape) + " = " + size);
    }
  }
}
