package imago.inference.manifest;

import imago.inference.engine.Framework;
import java.util.List;
import java.util.Map;

/**
 * A model's manifest ({@code manifest.json}, schema at {@code /models/schema}), checked: every
 * record here holds values the schema and {@link ManifestParser}'s cross-field checks accepted.
 */
public record Manifest(String name, String version, Framework framework, Task task, String description,
    String intendedUse, List<String> authors, String licence, String contact, Input input,
    Preprocessing preprocessing, Output output, Applicability applicability, Batching batching) {

  public enum Task {
    CLASSIFICATION, DETECTION, SEGMENTATION;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public enum Layout { NCHW, NHWC }

  /** The model's input tensor, one item of a batch: {@code channels x height x width} in {@code layout}. */
  public record Input(String name, Layout layout, int channels, int height, int width, String dtype) {
    /** The full input shape at batch size {@code n}. */
    public long[] shape(int n) {
      return layout == Layout.NCHW ? new long[] {n, channels, height, width} : new long[] {n, height, width, channels};
    }
  }

  public record Window(double center, double width) {}

  public record PercentileClip(double low, double high) {}

  public enum Resize { BILINEAR, NEAREST, AREA }

  public enum Stacking { PER_INSTANCE, PER_SERIES }

  /** Applied in this order: rescale, window or percentile clip, resize, normalise, stack. */
  public record Preprocessing(boolean rescale, Window window, PercentileClip percentileClip, Resize resize,
      double[] mean, double[] std, Stacking stacking) {}

  public enum Activation { SOFTMAX, SIGMOID, NONE }

  /** A coded concept (PS3.3 Table 8.8-1, Code Sequence Macro). */
  public record Code(String scheme, String value, String meaning) {}

  public record Label(String name, Code code, double threshold) {}

  /** One output channel of a segmentation model; {@code findingSite} (where it lies) may be null. */
  public record Segment(String name, Code code, Code category, int[] color, Code findingSite) {}

  /** Classification and detection answer {@code labels}; segmentation answers {@code labelMap}. */
  public record Output(String name, Activation activation, List<Label> labels, List<Segment> labelMap) {}

  /** Which studies the model is run on; absent lists match everything. */
  public record Applicability(List<String> modalities, List<String> bodyParts, List<String> sopClasses,
      Integer minSlices, Integer maxSlices, Map<String, String> tags) {}

  public record Batching(int maxBatchSize, int maxQueueDelayMs) {}

  /**
   * The raw output shape this manifest promises at batch {@code n}: classification
   * {@code [n, labels]}, segmentation {@code [n, 1 + segments, height, width]} (channel 0 is
   * background), detection {@code [n, boxes, 6]} (x0, y0, x1, y1, score, label index; boxes free).
   */
  public long[] outputShape(int n) {
    return switch (task) {
      case CLASSIFICATION -> new long[] {n, output.labels().size()};
      case SEGMENTATION -> new long[] {n, output.labelMap().size() + 1, input.height(), input.width()};
      case DETECTION -> new long[] {n, -1, 6};
    };
  }
}
