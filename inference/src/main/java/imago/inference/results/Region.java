package imago.inference.results;

import imago.inference.manifest.Manifest;
import java.util.Objects;

/**
 * One detected finding: a label, its code, the model's score and its bounding box on a source
 * image, in that image's pixel coordinates as DICOM SCOORD counts them ((0, 0) is the top left
 * corner of the top left pixel; x is the column, y the row).
 *
 * @param source the source image's index among the job's decoded instances
 * @param referencedFrame the frame (1-based) of a multi-frame source; null for a single-frame one
 */
public record Region(String label, Manifest.Code code, double probability, int source, Integer referencedFrame,
    double x0, double y0, double x1, double y1) {
  public Region {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(code, "code");
    if (!(probability >= 0 && probability <= 1)) throw new IllegalArgumentException("probability " + probability);
    if (!(x0 < x1 && y0 < y1)) throw new IllegalArgumentException("an empty box");
  }

  /** The box as a closed SCOORD POLYLINE: its four corners clockwise from the top left, and that corner again. */
  public float[] polyline() {
    return new float[] {(float) x0, (float) y0, (float) x1, (float) y0, (float) x1, (float) y1, (float) x0, (float) y1,
        (float) x0, (float) y0};
  }
}
