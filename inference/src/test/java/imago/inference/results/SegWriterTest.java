package imago.inference.results;

import static imago.inference.results.ResultFixtures.ALGORITHM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.testkit.Dcmtk;
import imago.inference.manifest.Manifest.Code;
import imago.inference.manifest.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegWriterTest {
  private static final List<AttributeList> SOURCES = ResultFixtures.slices(1, 1, 2, 3);
  private static final List<Manifest.Segment> SEGMENTS = List.of(
      new Manifest.Segment("lung", new Code("SCT", "39607008", "Lung"),
          new Code("SCT", "123037004", "Anatomical Structure"), new int[] {128, 174, 128}, null),
      new Manifest.Segment("nodule", new Code("SCT", "27925004", "Nodule"),
          new Code("SCT", "49755003", "Morphologically Altered Structure"), null, new Code("SCT", "39607008", "Lung structure")));
  private static final int PIXELS = 64 * 64;
  private static final ResultIds IDS = ResultFixtures.ids(902);

  /** Two segments on each of three slices, random bits, so every packing slip shows. */
  private static List<SegmentMask> masks() {
    Random random = new Random(7);
    List<SegmentMask> masks = new ArrayList<>();
    for (int segment = 2; segment >= 1; segment--) {
      for (int source = 0; source < SOURCES.size(); source++) {
        boolean[] mask = new boolean[PIXELS];
        for (int p = 0; p < PIXELS; p++) mask[p] = random.nextInt(3) == 0;
        masks.add(new SegmentMask(segment, source, 1, mask));
      }
    }
    return masks;
  }

  private static byte[] segmentation(List<SegmentMask> masks) {
    return new SegWriter().write(ALGORITHM, SOURCES, SEGMENTS, masks, IDS);
  }

  @Test
  void passesDciodvfyAndDcmdump(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("seg.dcm"), segmentation(masks()));
    Dcmtk.Result iod = Dcmtk.dciodvfy(file);
    assertTrue(iod.output().contains("Segmentation"), iod::toString);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(iod.output()), iod::toString);
    Dcmtk.Result dump = Dcmtk.dcmdump(file);
    assertTrue(dump.ok(), dump::toString);
    assertTrue(dump.output().contains("(0062,0001) CS [BINARY]"), dump::toString);
  }

  @Test
  void pixelBitsRoundTripEveryMask() throws Exception {
    List<SegmentMask> masks = masks();
    AttributeList seg = ResultFixtures.read(segmentation(masks));
    Map<String, boolean[]> expected = new HashMap<>();
    for (SegmentMask m : masks) {
      String source = ResultFixtures.text(SOURCES.get(m.source()), TagFromName.SOPInstanceUID);
      expected.put(m.segmentNumber() + "/" + source, m.mask());
    }
    assertEquals(masks.size(), Integer.parseInt(ResultFixtures.text(seg, TagFromName.NumberOfFrames)));
    assertEquals("1", ResultFixtures.text(seg, TagFromName.BitsAllocated));
    byte[] pixels = ((OtherByteAttribute) seg.get(TagFromName.PixelData)).getByteValues();
    assertEquals((masks.size() * PIXELS + 7) / 8, pixels.length);
    SequenceAttribute perFrame = (SequenceAttribute) seg.get(TagFromName.PerFrameFunctionalGroupsSequence);
    for (int frame = 0; frame < perFrame.getNumberOfItems(); frame++) {
      AttributeList item = perFrame.getItem(frame).getAttributeList();
      String segment = ResultFixtures.text(ResultFixtures.onlyItem(item, TagFromName.SegmentIdentificationSequence),
          TagFromName.ReferencedSegmentNumber);
      AttributeList derivation = ResultFixtures.onlyItem(item, TagFromName.DerivationImageSequence);
      String source = ResultFixtures.text(ResultFixtures.onlyItem(derivation, TagFromName.SourceImageSequence),
          TagFromName.ReferencedSOPInstanceUID);
      boolean[] mask = expected.remove(segment + "/" + source);
      assertNotNull(mask, "frame " + (frame + 1) + " names an unknown or repeated mask " + segment + "/" + source);
      assertArrayEquals(mask, Bits.unpack(pixels, frame, PIXELS), "frame " + (frame + 1));
    }
    assertEquals(Map.of(), expected);
  }

  @Test
  void framesAreOrderedBySegmentThenPositionWithMatchingDimensionIndexes() {
    AttributeList seg = ResultFixtures.read(segmentation(masks()));
    SequenceAttribute perFrame = (SequenceAttribute) seg.get(TagFromName.PerFrameFunctionalGroupsSequence);
    List<String> indexes = new ArrayList<>();
    for (int frame = 0; frame < perFrame.getNumberOfItems(); frame++) {
      AttributeList content = ResultFixtures.onlyItem(perFrame.getItem(frame).getAttributeList(),
          TagFromName.FrameContentSequence);
      indexes.add(String.join("\\", Datasets.values(content, TagFromName.DimensionIndexValues)));
    }
    assertEquals(List.of("1\\1", "1\\2", "1\\3", "2\\1", "2\\2", "2\\3"), indexes);
  }

  @Test
  void describesSegmentsAndNamesTheModel() {
    AttributeList seg = ResultFixtures.read(segmentation(masks()));
    ResultFixtures.assertNamesTheModel(seg);
    SequenceAttribute segments = (SequenceAttribute) seg.get(TagFromName.SegmentSequence);
    assertEquals(2, segments.getNumberOfItems());
    AttributeList lung = segments.getItem(0).getAttributeList();
    assertEquals("lung", ResultFixtures.text(lung, TagFromName.SegmentLabel));
    assertEquals("AUTOMATIC", ResultFixtures.text(lung, TagFromName.SegmentAlgorithmType));
    assertEquals(ALGORITHM.modelName(), ResultFixtures.text(lung, Tags.SEGMENT_ALGORITHM_NAME));
    assertEquals("39607008", ResultFixtures.text(ResultFixtures.onlyItem(lung,
        TagFromName.SegmentedPropertyTypeCodeSequence), TagFromName.CodeValue));
    assertEquals(3, Datasets.values(lung, TagFromName.RecommendedDisplayCIELabValue).length);
    AttributeList nodule = segments.getItem(1).getAttributeList();
    assertEquals(0, Datasets.values(nodule, TagFromName.RecommendedDisplayCIELabValue).length);
    // where a segment lies, when its manifest says: the nodule in a lung, the lung nowhere in particular
    assertEquals("39607008", ResultFixtures.text(ResultFixtures.onlyItem(nodule, TagFromName.AnatomicRegionSequence),
        TagFromName.CodeValue));
    assertEquals(null, lung.get(TagFromName.AnatomicRegionSequence));
    assertEquals(ResultFixtures.text(SOURCES.get(0), TagFromName.FrameOfReferenceUID),
        ResultFixtures.text(seg, TagFromName.FrameOfReferenceUID));
  }

  /** A slice where a segment marks nothing gives no frame; a SEG that marks nothing keeps one. */
  @Test
  void framesThatMarkNothingAreLeftOut() {
    List<SegmentMask> masks = new ArrayList<>(masks());
    masks.set(1, new SegmentMask(masks.get(1).segmentNumber(), masks.get(1).source(), 1, new boolean[PIXELS]));
    AttributeList seg = ResultFixtures.read(segmentation(masks));
    assertEquals("5", ResultFixtures.text(seg, TagFromName.NumberOfFrames));
    String derived = seg.get(TagFromName.PerFrameFunctionalGroupsSequence).toString();
    assertEquals(1, derived.split(ResultFixtures.text(SOURCES.get(masks.get(1).source()), TagFromName.SOPInstanceUID), -1).length - 1,
        "the empty mask's slice is named by the other segment's frame only");

    List<SegmentMask> nothing = List.of(new SegmentMask(1, 0, 1, new boolean[PIXELS]), new SegmentMask(1, 1, 1, new boolean[PIXELS]));
    AttributeList empty = ResultFixtures.read(segmentation(nothing));
    assertEquals("1", ResultFixtures.text(empty, TagFromName.NumberOfFrames));
  }

  @Test
  void sameIdsGiveByteIdenticalSegmentations() {
    assertArrayEquals(segmentation(masks()), segmentation(masks()));
  }

  @Test
  void framesPackContinuouslyLeastSignificantBitFirst() {
    // two 3x3 frames: 18 bits, the second frame starting mid-byte
    boolean[] first = {true, false, false, false, false, false, false, false, true};
    boolean[] second = {false, true, true, false, false, false, false, false, true};
    byte[] packed = Bits.pack(new boolean[][] {first, second}, 9);
    assertArrayEquals(new byte[] {0x01, 0x0D, 0x02, 0x00}, packed);
    assertArrayEquals(second, Bits.unpack(packed, 1, 9));
  }

  @Test
  void rejectsMasksThatDoNotFitTheSources() {
    SegWriter writer = new SegWriter();
    List<SegmentMask> shortMask = List.of(new SegmentMask(1, 0, 1, new boolean[10]));
    assertThrows(IllegalArgumentException.class, () -> writer.write(ALGORITHM, SOURCES, SEGMENTS, shortMask, IDS));
    List<SegmentMask> noSegment = List.of(new SegmentMask(3, 0, 1, new boolean[PIXELS]));
    assertThrows(IllegalArgumentException.class, () -> writer.write(ALGORITHM, SOURCES, SEGMENTS, noSegment, IDS));
    List<SegmentMask> noFrame = List.of(new SegmentMask(1, 0, 2, new boolean[PIXELS]));
    assertThrows(IllegalArgumentException.class, () -> writer.write(ALGORITHM, SOURCES, SEGMENTS, noFrame, IDS));
    assertThrows(IllegalArgumentException.class, () -> writer.write(ALGORITHM, SOURCES, SEGMENTS, List.of(), IDS));
  }
}
