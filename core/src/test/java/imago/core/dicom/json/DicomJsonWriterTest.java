package imago.core.dicom.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class DicomJsonWriterTest {
  private static final int RETRIEVE_URL = 0x00081190;
  private static final int FAILED_SOP_SEQUENCE = 0x00081198;
  private static final int REFERENCED_SOP_SEQUENCE = 0x00081199;
  private static final int REFERENCED_SOP_CLASS_UID = 0x00081150;
  private static final int REFERENCED_SOP_INSTANCE_UID = 0x00081155;
  private static final int FAILURE_REASON = 0x00081197;
  private static final String CT = "1.2.840.10008.5.1.4.1.1.2";
  private static final String STUDY = "http://localhost:8080/dicomweb/studies/1.2.3";

  @Test
  void writesTheStowRsResponseExactly() throws Exception {
    // Set out of tag order on purpose: the output is in tag order.
    DicomJsonWriter stored = DicomJson.dataset()
        .url(RETRIEVE_URL, STUDY + "/series/1.2.3.4/instances/1.2.3.4.5")
        .uids(REFERENCED_SOP_INSTANCE_UID, "1.2.3.4.5")
        .uids(REFERENCED_SOP_CLASS_UID, CT);
    DicomJsonWriter failed = DicomJson.dataset()
        .us(FAILURE_REASON, 0xC122)
        .uids(REFERENCED_SOP_CLASS_UID, CT)
        .uids(REFERENCED_SOP_INSTANCE_UID, "1.2.3.4.6");
    DicomJsonWriter response = DicomJson.dataset()
        .sequence(REFERENCED_SOP_SEQUENCE, List.of(stored))
        .sequence(FAILED_SOP_SEQUENCE, List.of(failed))
        .url(RETRIEVE_URL, STUDY);

    String expected = "{"
        + "\"00081190\":{\"vr\":\"UR\",\"Value\":[\"" + STUDY + "\"]},"
        + "\"00081198\":{\"vr\":\"SQ\",\"Value\":[{"
        + "\"00081150\":{\"vr\":\"UI\",\"Value\":[\"" + CT + "\"]},"
        + "\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.2.3.4.6\"]},"
        + "\"00081197\":{\"vr\":\"US\",\"Value\":[49442]}}]},"
        + "\"00081199\":{\"vr\":\"SQ\",\"Value\":[{"
        + "\"00081150\":{\"vr\":\"UI\",\"Value\":[\"" + CT + "\"]},"
        + "\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.2.3.4.5\"]},"
        + "\"00081190\":{\"vr\":\"UR\",\"Value\":[\"" + STUDY + "/series/1.2.3.4/instances/1.2.3.4.5\"]}}]}"
        + "}";
    assertEquals(expected, response.toJson().toString());
    assertEquals(new ObjectMapper().readTree(expected), response.toJson());
  }

  @Test
  void writesEmptyAttributesWithoutValue() {
    String json = DicomJson.dataset()
        .sequence(FAILED_SOP_SEQUENCE, List.of())
        .string(0x00100020, "LO")
        .string(0x00080050, "SH", "")
        .personName(0x00100010, "")
        .empty(0x00081190, "UR")
        .toString();
    assertEquals("{\"00080050\":{\"vr\":\"SH\"},\"00081190\":{\"vr\":\"UR\"},\"00081198\":{\"vr\":\"SQ\"},"
        + "\"00100010\":{\"vr\":\"PN\"},\"00100020\":{\"vr\":\"LO\"}}", json);
  }

  @Test
  void writesEmptyValuesOfAMultiValuedAttributeAsNull() {
    assertEquals("{\"00080008\":{\"vr\":\"CS\",\"Value\":[\"ORIGINAL\",null,\"AXIAL\"]}}",
        DicomJson.dataset().string(0x00080008, "CS", "ORIGINAL", "", "AXIAL").toString());
  }

  @Test
  void writesPersonNamesAsObjects() {
    assertEquals("{\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"Doe^Jane\"}]}}",
        DicomJson.dataset().personName(0x00100010, "Doe^Jane").toString());
    assertEquals("{\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"Yamada^Tarou\",\"Ideographic\":\"\u5c71\u7530^\u592a\u90ce\"},"
            + "{\"Phonetic\":\"yamada\"}]}}",
        DicomJson.dataset().string(0x00100010, "PN", "Yamada^Tarou=\u5c71\u7530^\u592a\u90ce", "==yamada").toString());
  }

  @Test
  void writesIntegerAndDecimalStringsAsNumbers() {
    String json = DicomJson.dataset()
        .string(0x00200013, "IS", "0012", " -3 ")
        .string(0x00180050, "DS", "1.50", "+2", ".5", "1e3", "n/a")
        .decimals(0x00280030, "DS", 0.5, 0.25)
        .integers(0x00280010, "US", 512)
        .toString();
    // A DS value that is no number stays a string (CP-1861 allows both).
    assertEquals("{\"00180050\":{\"vr\":\"DS\",\"Value\":[1.50,2,0.5,1E+3,\"n/a\"]},"
        + "\"00200013\":{\"vr\":\"IS\",\"Value\":[12,-3]},"
        + "\"00280010\":{\"vr\":\"US\",\"Value\":[512]},"
        + "\"00280030\":{\"vr\":\"DS\",\"Value\":[0.5,0.25]}}", json);
  }

  @Test
  void namesTagsWithEightUppercaseHexDigitsInUnsignedOrder() {
    String json = DicomJson.dataset()
        .inlineBinary(0xFFFAFFFA, "OB", new byte[] {1, 2, 3})
        .bulkDataUri(0x7FE00010, "OW", "http://x/bulk/1")
        .string(0x0009100A, "LO", "private")
        .toString();
    assertEquals("{\"0009100A\":{\"vr\":\"LO\",\"Value\":[\"private\"]},"
        + "\"7FE00010\":{\"vr\":\"OW\",\"BulkDataURI\":\"http://x/bulk/1\"},"
        + "\"FFFAFFFA\":{\"vr\":\"OB\",\"InlineBinary\":\"AQID\"}}", json);
    assertEquals("00081190", DicomJson.key(RETRIEVE_URL));
  }

  @Test
  void replacesAnAttributeSetTwice() {
    assertEquals("{\"00081190\":{\"vr\":\"UR\",\"Value\":[\"b\"]}}",
        DicomJson.dataset().url(RETRIEVE_URL, "a").url(RETRIEVE_URL, "b").toString());
  }

  @Test
  void writesAnArrayOfDatasetsForQueryResponses() {
    assertEquals("[{\"0020000D\":{\"vr\":\"UI\",\"Value\":[\"1.2\"]}},{}]",
        new String(DicomJson.arrayBytes(List.of(DicomJson.dataset().uids(0x0020000D, "1.2"), DicomJson.dataset())),
            java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void refusesValuesTheVrCannotCarry() {
    DicomJsonWriter d = DicomJson.dataset();
    assertThrows(IllegalArgumentException.class, () -> d.string(0x7FE00010, "OB", "x"));
    assertThrows(IllegalArgumentException.class, () -> d.integers(0x00100020, "LO", 1));
    assertThrows(IllegalArgumentException.class, () -> d.decimals(0x00180050, "DS", Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> d.empty(0x00100020, "XX"));
    assertThrows(IllegalArgumentException.class, () -> d.bulkDataUri(0x00100020, "LO", "http://x"));
  }
}
