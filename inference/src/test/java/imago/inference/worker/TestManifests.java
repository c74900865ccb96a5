package imago.inference.worker;

import imago.inference.engine.Framework;
import imago.inference.manifest.Manifest;
import imago.inference.manifest.Manifest.Input;
import imago.inference.manifest.Manifest.Layout;
import imago.inference.manifest.Manifest.Stacking;
import imago.inference.pipeline.DecodedImage;
import java.util.List;

/** Small manifests and images built in code for the worker's tests. */
final class TestManifests {
  static final Manifest.Code LESION = new Manifest.Code("SCT", "52988006", "Lesion");

  private TestManifests() {}

  /** A classifier of {@code labels} on one-channel {@code height x width} inputs. */
  static Manifest classifier(Manifest.Activation activation, Stacking stacking, int channels, int height, int width,
      Manifest.Label... labels) {
    return manifest(Manifest.Task.CLASSIFICATION, new Input("input", Layout.NCHW, channels, height, width, "float32"),
        stacking, new Manifest.Output("output", activation, List.of(labels), List.of()));
  }

  /** A per-instance segmenter of {@code segments} whose label maps are {@code height x width}. */
  static Manifest segmenter(int height, int width, Manifest.Segment... segments) {
    return manifest(Manifest.Task.SEGMENTATION, new Input("input", Layout.NCHW, 1, height, width, "float32"),
        Stacking.PER_INSTANCE, new Manifest.Output("output", Manifest.Activation.NONE, List.of(), List.of(segments)));
  }

  /** A per-instance detector of {@code labels} on {@code height x width} inputs. */
  static Manifest detector(int height, int width, Manifest.Label... labels) {
    return manifest(Manifest.Task.DETECTION, new Input("input", Layout.NCHW, 1, height, width, "float32"),
        Stacking.PER_INSTANCE, new Manifest.Output("output", Manifest.Activation.NONE, List.of(labels), List.of()));
  }

  static Manifest.Segment segment(String name, Manifest.Code code) {
    return new Manifest.Segment(name, code, new Manifest.Code("SCT", "49755003", "Morphologically Altered Structure"),
        null, null);
  }

  /** A MONOCHROME2 image of {@code frames}, each {@code rows x columns}. */
  static DecodedImage image(String sopInstanceUid, int rows, int columns, float[]... frames) {
    return new DecodedImage(sopInstanceUid, "2.25.9", rows, columns, List.of(frames), DecodedImage.MONOCHROME2, null,
        null, null);
  }

  private static Manifest manifest(Manifest.Task task, Input input, Stacking stacking, Manifest.Output output) {
    return new Manifest("worker-test", "1.0.0", Framework.ONNX, task, "", "tests", List.of("Imago"), "Apache-2.0",
        "imago@example.org", input,
        new Manifest.Preprocessing(false, null, null, Manifest.Resize.NEAREST, null, null, stacking), output,
        new Manifest.Applicability(List.of("CT"), null, null, null, null, null), new Manifest.Batching(8, 20));
  }
}
