package imago.node.dicomweb.wado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Part10;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.node.dicomweb.DicomWebNode;
import imago.storage.index.AuditEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WADO-RS (PS3.18 §10.4) on a node serving nothing else, over instances put in through the ingest
 * path: what comes back is what was stored, byte for byte; metadata leads to the pixels by its
 * BulkDataURI; a frame is the stored pixels; another tenant's study is 404, as if it did not exist.
 */
class WadoRsTest {
  static final String ANY_DICOM = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";
  static final String OCTETS = "multipart/related; type=\"application/octet-stream\"";
  static final SyntheticCt.Spec SPEC = SyntheticCt.Spec.of(1, 1, 2).withSize(32, 48).withSeed(5301);
  static final SyntheticCt.Spec ELSEWHERE = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(5302);

  @TempDir static Path tmp;
  static DicomWebNode node;
  static String radiologist;
  static final Map<String, byte[]> sent = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    node = DicomWebNode.start(tmp.resolve("node"), DicomWebNode.Family.WADO_RS);
    for (int in = 1; in <= 2; in++) {
      byte[] file = SyntheticCt.instance(SPEC, 1, 1, in);
      node.store("demo", file);
      sent.put(SyntheticCt.sopInstanceUid(SPEC, 1, 1, in), file);
    }
    node.store("other", SyntheticCt.instance(ELSEWHERE, 1, 1, 1));
    radiologist = node.token("demo", Caller.Role.RADIOLOGIST);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  static String study() {
    return "/dicomweb/studies/" + SyntheticCt.studyInstanceUid(SPEC, 1);
  }

  static String instance(int in) {
    return study() + "/series/" + SyntheticCt.seriesInstanceUid(SPEC, 1, 1) + "/instances/"
        + SyntheticCt.sopInstanceUid(SPEC, 1, 1, in);
  }

  @Test
  void anInstanceComesBackByteIdenticalAloneAndInItsStudy() throws Exception {
    HttpResponse<byte[]> single = node.get(instance(2), radiologist, "application/dicom");
    assertEquals(200, single.statusCode(), new String(single.body(), StandardCharsets.UTF_8));
    assertTrue(single.headers().firstValue("Content-Type").orElse("").startsWith("application/dicom"));
    assertArrayEquals(sent.get(SyntheticCt.sopInstanceUid(SPEC, 1, 1, 2)), single.body());

    HttpResponse<byte[]> whole = node.get(study(), radiologist, ANY_DICOM);
    assertEquals(200, whole.statusCode());
    List<DicomWebNode.Part> parts = DicomWebNode.parts(whole);
    assertEquals(2, parts.size());
    Map<String, byte[]> expected = new HashMap<>(sent);
    for (DicomWebNode.Part p : parts) {
      String sop = Part10.parse(ByteBuffer.wrap(p.body())).sopInstanceUid();
      assertArrayEquals(expected.remove(sop), p.body(), "bytes of " + sop);
      assertTrue(p.headers().get("content-type").contains("transfer-syntax=1.2.840.10008.1.2.1"), p.headers().toString());
    }
    assertTrue(expected.isEmpty(), "every instance came back once");
  }

  @Test
  void metadataIsTheStoredAttributesAndItsBulkDataUriLeadsToThePixels() throws Exception {
    HttpResponse<byte[]> r = node.get(study() + "/metadata", radiologist, "application/dicom+json");
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    assertEquals("application/dicom+json", r.headers().firstValue("Content-Type").orElse(""));
    JsonArray datasets = new JsonArray(new String(r.body(), StandardCharsets.UTF_8));
    assertEquals(2, datasets.size());
    for (int i = 0; i < datasets.size(); i++) {
      JsonObject dataset = datasets.getJsonObject(i);
      String sop = dataset.getJsonObject("00080018").getJsonArray("Value").getString(0);
      assertTrue(sent.containsKey(sop), sop);
      assertEquals(32, dataset.getJsonObject("00280010").getJsonArray("Value").getInteger(0), "Rows");
      assertEquals(48, dataset.getJsonObject("00280011").getJsonArray("Value").getInteger(0), "Columns");
      JsonObject pixels = dataset.getJsonObject("7FE00010");
      assertEquals("OW", pixels.getString("vr"));
      String uri = pixels.getString("BulkDataURI");
      String instance = study() + "/series/" + SyntheticCt.seriesInstanceUid(SPEC, 1, 1) + "/instances/" + sop;
      assertTrue(uri.startsWith(node.baseUrl() + instance + "/"), uri);
      List<DicomWebNode.Part> bulk = DicomWebNode.parts(node.get(URI.create(uri).getPath(), radiologist, OCTETS));
      assertArrayEquals(pixelBytes(sent.get(sop)), bulk.get(0).body(), "pixel data of " + sop);
    }
  }

  @Test
  void aFrameIsTheStoredPixelBytes() throws Exception {
    HttpResponse<byte[]> r = node.get(instance(1) + "/frames/1", radiologist, OCTETS);
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    List<DicomWebNode.Part> parts = DicomWebNode.parts(r);
    assertEquals(1, parts.size());
    assertTrue(parts.get(0).headers().get("content-type").startsWith("application/octet-stream"));
    assertArrayEquals(pixelBytes(sent.get(SyntheticCt.sopInstanceUid(SPEC, 1, 1, 1))), parts.get(0).body());
    assertEquals(404, node.get(instance(1) + "/frames/2", radiologist, OCTETS).statusCode(), "one frame only");
    assertEquals(400, node.get(instance(1) + "/frames/0", radiologist, OCTETS).statusCode(), "frames are 1-based");
    // Security: one frame named 1500 times is an amplifier, refused before anything is read.
    assertEquals(400, node.get(instance(1) + "/frames/" + String.join(",", java.util.Collections.nCopies(1500, "1")), radiologist,
        OCTETS).statusCode());
  }

  @Test
  void anotherTenantsStudyIs404AndLeavesNoAuditRow() throws Exception {
    String other = node.token("other", Caller.Role.RADIOLOGIST);
    for (String path : List.of(study(), study() + "/metadata", instance(1), instance(1) + "/frames/1")) {
      HttpResponse<byte[]> r = node.get(path, other, null);
      assertEquals(404, r.statusCode(), path);
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), path);
    }
    assertEquals(404, node.get("/dicomweb/studies/" + SyntheticCt.studyInstanceUid(ELSEWHERE, 1), radiologist, null)
        .statusCode(), "and the other way round");
    List<AuditEvent> rows = node.index().auditOfStudy(null, SyntheticCt.studyInstanceUid(SPEC, 1));
    assertTrue(rows.stream().noneMatch(e -> e.tenantId().equals("other")), rows.toString());
    assertEquals(400, node.get("/dicomweb/studies/not-a-uid", radiologist, null).statusCode());
    assertEquals(401, node.get(study(), null, null).statusCode());
  }

  /** Pixel Data of a synthetic CT (16 bits allocated) as the little-endian bytes it is stored as. */
  static byte[] pixelBytes(byte[] part10) throws Exception {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
      list.read(in);
    }
    short[] values = list.get(TagFromName.PixelData).getShortValues();
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (short v : values) bytes.putShort(v);
    return bytes.array();
  }
}
