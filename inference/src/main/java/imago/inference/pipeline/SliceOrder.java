package imago.inference.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The order of a series' images along the slice direction: ascending Image Position (Patient)
 * projected on the normal of Image Orientation (Patient) (PS3.3 C.7.6.2.1.1), else ascending
 * Instance Number, else the order given. The sort is stable.
 */
final class SliceOrder {

  private SliceOrder() {}

  static List<DecodedImage> sort(List<DecodedImage> images) {
    List<DecodedImage> sorted = new ArrayList<>(images);
    if (sorted.stream().allMatch(i -> i.imagePositionPatient() != null && i.imageOrientationPatient() != null)) {
      double[] normal = normal(sorted.get(0).imageOrientationPatient());
      sorted.sort(Comparator.comparingDouble(i -> dot(i.imagePositionPatient(), normal)));
    } else if (sorted.stream().allMatch(i -> i.instanceNumber() != null)) {
      sorted.sort(Comparator.comparingInt(DecodedImage::instanceNumber));
    }
    return sorted;
  }

  /** The slice normal: row direction cosines x column direction cosines. */
  static double[] normal(double[] orientation) {
    double[] r = {orientation[0], orientation[1], orientation[2]};
    double[] c = {orientation[3], orientation[4], orientation[5]};
    return new double[] {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
  }

  private static double dot(double[] a, double[] b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  }
}
