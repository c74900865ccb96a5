package imago.inference.results;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a segment measures on its source images: the area of its largest cross-section and its
 * volume, in the sources' physical units.
 *
 * <p>A pixel's size is Pixel Spacing (0028,0030), or Imager Pixel Spacing (0018,1164) for a
 * projection image; none, no area. The volume needs a stack: at least two single-frame sources
 * with Image Position and Orientation (Patient) along one normal, each slice counting the median
 * distance between neighbouring positions (a gap in the stack does not inflate it); a lone slice,
 * a projection image or a multi-frame source has no volume.
 *
 * @param segmentNumber 1-based, the label map's order
 * @param largestAreaMm2 the largest area it covers on one image or frame, null when pixels have no size
 * @param volumeMm3 its volume, null when the sources are not a stack
 */
public record SegmentMeasurements(int segmentNumber, Double largestAreaMm2, Double volumeMm3) {

  /** One measurement per segment 1..{@code segments}, from the masks on {@code sources}. */
  public static List<SegmentMeasurements> of(int segments, List<SegmentMask> masks, List<AttributeList> sources) {
    double[] pixelArea = new double[sources.size()];
    for (int s = 0; s < sources.size(); s++) pixelArea[s] = pixelArea(sources.get(s));
    double sliceSpacing = sliceSpacing(sources);
    List<SegmentMeasurements> out = new ArrayList<>(segments);
    for (int k = 1; k <= segments; k++) {
      double largest = 0;
      double volume = 0;
      boolean sized = true;
      for (SegmentMask m : masks) {
        if (m.segmentNumber() != k) continue;
        if (Double.isNaN(pixelArea[m.source()])) {
          sized = false;
          break;
        }
        long n = 0;
        for (boolean b : m.mask()) if (b) n++;
        double area = n * pixelArea[m.source()];
        largest = Math.max(largest, area);
        volume += area * sliceSpacing;
      }
      out.add(new SegmentMeasurements(k, sized ? largest : null, sized && !Double.isNaN(sliceSpacing) ? volume : null));
    }
    return out;
  }

  /** mm² of one pixel: row spacing times column spacing; NaN when the source gives neither spacing. */
  static double pixelArea(AttributeList source) {
    double[] spacing = doubles(source, TagFromName.PixelSpacing);
    if (spacing == null) spacing = doubles(source, TagFromName.ImagerPixelSpacing);
    if (spacing == null || spacing.length != 2 || !(spacing[0] > 0) || !(spacing[1] > 0)) return Double.NaN;
    return spacing[0] * spacing[1];
  }

  /**
   * mm between neighbouring slices of a stack of single-frame sources sharing one orientation:
   * the median of the sorted positions' steps along the normal; NaN when they are not a stack.
   */
  static double sliceSpacing(List<AttributeList> sources) {
    if (sources.size() < 2) return Double.NaN;
    double[] orientation = doubles(sources.get(0), TagFromName.ImageOrientationPatient);
    if (orientation == null || orientation.length != 6) return Double.NaN;
    double[] normal = {
        orientation[1] * orientation[5] - orientation[2] * orientation[4],
        orientation[2] * orientation[3] - orientation[0] * orientation[5],
        orientation[0] * orientation[4] - orientation[1] * orientation[3]};
    double[] along = new double[sources.size()];
    for (int s = 0; s < sources.size(); s++) {
      AttributeList source = sources.get(s);
      double[] o = doubles(source, TagFromName.ImageOrientationPatient);
      double[] p = doubles(source, TagFromName.ImagePositionPatient);
      if (o == null || p == null || p.length != 3 || !Arrays.equals(o, orientation)
          || Attribute.getSingleIntegerValueOrDefault(source, TagFromName.NumberOfFrames, 1) > 1) {
        return Double.NaN;
      }
      along[s] = p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
    }
    Arrays.sort(along);
    double[] steps = new double[along.length - 1];
    for (int i = 1; i < along.length; i++) steps[i - 1] = along[i] - along[i - 1];
    Arrays.sort(steps);
    double median = steps[steps.length / 2];
    return median > 1e-6 ? median : Double.NaN;
  }

  private static double[] doubles(AttributeList list, AttributeTag tag) {
    Attribute a = list.get(tag);
    if (a == null || a.getVM() == 0) return null;
    try {
      return a.getDoubleValues();
    } catch (com.pixelmed.dicom.DicomException | RuntimeException e) {
      return null;
    }
  }
}
