package imago.inference.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentMeasurementsTest {
  /** SyntheticCt: 64 columns over a 360 mm field of view, slices 1.25 mm apart. */
  private static final double PIXEL_MM2 = (360.0 / 64) * (360.0 / 64);

  private static boolean[] mask(int on) {
    boolean[] m = new boolean[64 * 64];
    for (int i = 0; i < on; i++) m[i * 7] = true;
    return m;
  }

  @Test
  void aCtStackGivesAreaAndVolume() {
    List<AttributeList> slices = ResultFixtures.slices(1, 1, 2, 3);
    List<SegmentMask> masks = List.of(new SegmentMask(1, 0, 1, mask(4)), new SegmentMask(1, 1, 1, mask(10)),
        new SegmentMask(1, 2, 1, mask(0)), new SegmentMask(2, 0, 1, mask(0)), new SegmentMask(2, 1, 1, mask(0)),
        new SegmentMask(2, 2, 1, mask(0)));

    List<SegmentMeasurements> m = SegmentMeasurements.of(2, masks, slices);

    assertEquals(10 * PIXEL_MM2, m.get(0).largestAreaMm2(), 1e-9);
    assertEquals(14 * PIXEL_MM2 * 1.25, m.get(0).volumeMm3(), 1e-9);
    assertEquals(0.0, m.get(1).volumeMm3());
    assertEquals(0.0, m.get(1).largestAreaMm2());
  }

  @Test
  void theSliceSpacingIsTheMedianStepSoAMissingSliceDoesNotStretchIt() {
    // slices 1, 2 and 3 of one series and slice 1 of another, moved 3.75 mm further: steps 1.25, 1.25, 3.75
    List<AttributeList> slices = new java.util.ArrayList<>(ResultFixtures.slices(1, 1, 2, 3));
    AttributeList far = ResultFixtures.slices(2, 3).get(0);
    Datasets.put(far, TagFromName.ImagePositionPatient, "-179.296875", "-179.296875", "-6.25");
    slices.add(far);
    assertEquals(1.25, SegmentMeasurements.sliceSpacing(slices), 1e-9);
  }

  @Test
  void projectionImagesHaveAreasButNoVolumeAndImagesWithoutSpacingHaveNeither() {
    AttributeList radiograph = ResultFixtures.slices(1, 1).get(0);
    radiograph.remove(TagFromName.PixelSpacing);
    radiograph.remove(TagFromName.ImagePositionPatient);
    radiograph.remove(TagFromName.ImageOrientationPatient);
    Datasets.put(radiograph, TagFromName.ImagerPixelSpacing, "0.5", "0.25");
    AttributeList second = ResultFixtures.slices(1, 2).get(0);
    second.remove(TagFromName.PixelSpacing);
    second.remove(TagFromName.ImagePositionPatient);
    Datasets.put(second, TagFromName.ImagerPixelSpacing, "0.5", "0.25");

    List<SegmentMeasurements> m = SegmentMeasurements.of(1, List.of(new SegmentMask(1, 0, 1, mask(8)),
        new SegmentMask(1, 1, 1, mask(2))), List.of(radiograph, second));
    assertEquals(8 * 0.125, m.get(0).largestAreaMm2(), 1e-9);
    assertNull(m.get(0).volumeMm3(), "not a stack: no volume");

    AttributeList unsized = ResultFixtures.slices(1, 1).get(0);
    unsized.remove(TagFromName.PixelSpacing);
    SegmentMeasurements none = SegmentMeasurements.of(1, List.of(new SegmentMask(1, 0, 1, mask(3))), List.of(unsized)).get(0);
    assertNull(none.largestAreaMm2());
    assertNull(none.volumeMm3());
  }
}
