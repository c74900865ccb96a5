package imago.inference.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Datasets;
import imago.core.synthetic.SyntheticCt;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/** Source CT images, an algorithm and result ids shared by the result writers' tests. */
final class ResultFixtures {
  /** One study, two series of three 64x64 slices. */
  static final SyntheticCt.Spec SPEC = new SyntheticCt.Spec(1, 2, 3, 64, 64, 11, "AIR");
  static final Algorithm ALGORITHM = new Algorithm("chest-ct-demo", "1.2.0",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "2.25.4242424242424242", "0.1.0-test");
  static final Instant CONTENT_TIME = Instant.parse("2024-05-06T07:08:09.123Z");

  private ResultFixtures() {}

  /** Slices {@code instances} of {@code series} (1-based), read as PixelMed attribute lists. */
  static List<AttributeList> slices(int series, int... instances) {
    return Arrays.stream(instances).mapToObj(i -> read(SyntheticCt.instance(SPEC, 1, series, i))).toList();
  }

  /** Fixed ids for a result in series {@code seriesNumber}. */
  static ResultIds ids(int seriesNumber) {
    return new ResultIds("2.25.1" + seriesNumber, "2.25.2" + seriesNumber, seriesNumber, 1, CONTENT_TIME);
  }

  static AttributeList read(byte[] part10) {
    try {
      AttributeList l = new AttributeList();
      l.read(new DicomInputStream(new ByteArrayInputStream(part10)));
      return l;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (DicomException e) {
      throw new IllegalStateException(e);
    }
  }

  static String text(AttributeList l, AttributeTag tag) {
    return Datasets.text(l, tag);
  }

  static AttributeList onlyItem(AttributeList l, AttributeTag sequence) {
    SequenceAttribute s = (SequenceAttribute) l.get(sequence);
    assertEquals(1, s.getNumberOfItems(), sequence + " items");
    return s.getItem(0).getAttributeList();
  }

  /** The one Contributing Equipment item names the model, its version, Device UID and artifact digest. */
  static void assertNamesTheModel(AttributeList result) {
    AttributeList item = onlyItem(result, TagFromName.ContributingEquipmentSequence);
    assertEquals("Imago", text(item, TagFromName.Manufacturer));
    assertEquals(ALGORITHM.modelName(), text(item, TagFromName.ManufacturerModelName));
    assertEquals(ALGORITHM.modelVersion(), text(item, TagFromName.SoftwareVersions));
    assertEquals(ALGORITHM.deviceUid(), text(item, TagFromName.DeviceUID));
    assertEquals(ALGORITHM.artifactSha256(), text(item, TagFromName.DeviceSerialNumber));
    assertTrue(text(item, TagFromName.ContributionDescription).contains("sha256:" + ALGORITHM.artifactSha256()));
    AttributeList purpose = onlyItem(item, TagFromName.PurposeOfReferenceCodeSequence);
    assertEquals("Newcode1", text(purpose, TagFromName.CodeValue));
    assertEquals("99IHE", text(purpose, TagFromName.CodingSchemeDesignator));
    assertEquals("Processing Algorithm", text(purpose, TagFromName.CodeMeaning));
    assertEquals("20240506070809.123+0000", text(item, Tags.CONTRIBUTION_DATE_TIME));
    assertEquals("Imago", text(result, TagFromName.Manufacturer));
    assertEquals(ALGORITHM.imagoVersion(), text(result, TagFromName.SoftwareVersions));
  }
}
