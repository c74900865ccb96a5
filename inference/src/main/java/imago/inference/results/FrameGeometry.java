package imago.inference.results;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import java.util.Arrays;

/**
 * Where one source frame lies: Image Position and Orientation (Patient), Pixel Spacing, Slice
 * Thickness and Spacing Between Slices as the source encodes them, looked up the way PS3.3
 * C.7.6.16 says a multi-frame image holds them (the frame's Per-Frame Functional Groups item,
 * then the Shared one) and, for single-frame images, the top-level Image Plane module (C.7.6.2).
 * Values stay strings, copied verbatim. Any may be empty (a radiograph has no position).
 */
record FrameGeometry(String[] position, String[] orientation, String[] pixelSpacing, String[] sliceThickness,
    String[] spacingBetweenSlices) {

  static FrameGeometry of(AttributeList source, int frame) {
    String[] spacing = find(source, frame, TagFromName.PixelMeasuresSequence, TagFromName.PixelSpacing);
    // A radiograph often has only Imager Pixel Spacing (PS3.3 10.7.1.3, at the detector): better
    // than no Pixel Measures at all, which viewers such as OHIF need to overlay the segmentation.
    if (spacing.length == 0) spacing = Datasets.values(source, TagFromName.ImagerPixelSpacing);
    return new FrameGeometry(
        find(source, frame, TagFromName.PlanePositionSequence, TagFromName.ImagePositionPatient),
        find(source, frame, TagFromName.PlaneOrientationSequence, TagFromName.ImageOrientationPatient),
        spacing,
        find(source, frame, TagFromName.PixelMeasuresSequence, TagFromName.SliceThickness),
        find(source, frame, TagFromName.PixelMeasuresSequence, TagFromName.SpacingBetweenSlices));
  }

  boolean hasPosition() {
    return position.length == 3 && orientation.length == 6;
  }

  /** Distance along the slice normal (row cosines x column cosines), for ordering frames. */
  double distanceAlongNormal() {
    double[] o = Arrays.stream(orientation).mapToDouble(Double::parseDouble).toArray();
    double[] p = Arrays.stream(position).mapToDouble(Double::parseDouble).toArray();
    double nx = o[1] * o[5] - o[2] * o[4];
    double ny = o[2] * o[3] - o[0] * o[5];
    double nz = o[0] * o[4] - o[1] * o[3];
    return nx * p[0] + ny * p[1] + nz * p[2];
  }

  /** The Plane Orientation and Pixel Measures values, to tell whether every frame shares them. */
  String sharedKey() {
    return String.join("\\", orientation) + "|" + String.join("\\", pixelSpacing) + "|"
        + String.join("\\", sliceThickness) + "|" + String.join("\\", spacingBetweenSlices);
  }

  private static String[] find(AttributeList source, int frame, AttributeTag macro, AttributeTag tag) {
    String[] v = fromGroups(source.get(TagFromName.PerFrameFunctionalGroupsSequence), frame - 1, macro, tag);
    if (v.length == 0) v = fromGroups(source.get(TagFromName.SharedFunctionalGroupsSequence), 0, macro, tag);
    if (v.length == 0) v = Datasets.values(source, tag);
    return v;
  }

  private static String[] fromGroups(Attribute groups, int index, AttributeTag macro, AttributeTag tag) {
    if (!(groups instanceof SequenceAttribute s) || index >= s.getNumberOfItems()) return new String[0];
    Attribute m = s.getItem(index).getAttributeList().get(macro);
    if (!(m instanceof SequenceAttribute ms) || ms.getNumberOfItems() == 0) return new String[0];
    return Datasets.values(ms.getItem(0).getAttributeList(), tag);
  }
}
