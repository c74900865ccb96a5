package imago.node.dicomweb.qido;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.node.dicomweb.DicomWebNode;
import imago.storage.index.AuditEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QIDO-RS (PS3.18 §10.6) on a node serving nothing else, over studies put in through the ingest
 * path: study, series and instance searches match and return what PS3.18 says, includefield adds
 * attributes, a tenant sees only its own studies, and what cannot be honoured is 400.
 */
class QidoRsTest {
  static final String STUDY_UID = "0020000D";
  static final String SERIES_UID = "0020000E";
  static final String SOP_UID = "00080018";
  static final String RETRIEVE_URL = "00081190";
  static final String STUDY_DESCRIPTION = "00081030";
  static final String NUMBER_OF_STUDY_RELATED_INSTANCES = "00201208";

  @TempDir static Path tmp;
  static DicomWebNode node;
  static String demo;
  static String other;
  /** demo's: 2 series of 2 instances, and 1 of 1; other's: 1 of 1. */
  static final SyntheticCt.Spec A = SyntheticCt.Spec.of(1, 2, 2).withSize(16, 16).withSeed(5201).withPatientPrefix("QIDOA");
  static final SyntheticCt.Spec B = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(5202).withPatientPrefix("QIDOB");
  static final SyntheticCt.Spec C = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(5203).withPatientPrefix("QIDOC");

  @BeforeAll
  static void start() throws Exception {
    node = DicomWebNode.start(tmp.resolve("node"), DicomWebNode.Family.QIDO_RS);
    storeAll("demo", A);
    storeAll("demo", B);
    storeAll("other", C);
    demo = node.token("demo", Caller.Role.RADIOLOGIST);
    other = node.token("other", Caller.Role.RADIOLOGIST);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  static void storeAll(String tenant, SyntheticCt.Spec spec) throws Exception {
    for (int se = 1; se <= spec.seriesPerStudy(); se++) {
      for (int in = 1; in <= spec.instancesPerSeries(); in++) node.store(tenant, SyntheticCt.instance(spec, 1, se, in));
    }
  }

  @Test
  void studiesMatchByValueWildcardAndUidListAndCarryTheirCountsAndRetrieveUrl() throws Exception {
    assertEquals(Set.of(study(A)), column(search(demo, "/studies?PatientID=" + SyntheticCt.patientId(A, 1)), STUDY_UID));
    assertEquals(Set.of(study(A), study(B)), column(search(demo, "/studies?PatientID=QIDO*"), STUDY_UID));
    assertEquals(Set.of(study(A), study(B)), column(search(demo, "/studies?StudyInstanceUID=" + study(A) + "," + study(B)),
        STUDY_UID));
    JsonObject a = only(search(demo, "/studies?StudyInstanceUID=" + study(A)));
    assertEquals(4, a.getJsonObject(NUMBER_OF_STUDY_RELATED_INSTANCES).getJsonArray("Value").getInteger(0));
    assertEquals(node.baseUrl() + "/dicomweb/studies/" + study(A), value(a, RETRIEVE_URL));
  }

  /** Security: a token in the URL is taken on /wado only (URLs end up in logs, proxies and browser history). */
  @Test
  void aTokenInTheQueryIsRefused() throws Exception {
    HttpResponse<byte[]> r = node.get("/dicomweb/studies?PatientID=QIDO*&access_token=" + demo, null, null);
    assertEquals(401, r.statusCode());
    assertTrue(new String(r.body(), StandardCharsets.UTF_8).contains("access_token"));
  }

  @Test
  void seriesAndInstancesOfAStudyAreFoundAndMatched() throws Exception {
    JsonArray series = search(demo, "/studies/" + study(A) + "/series");
    assertEquals(Set.of(SyntheticCt.seriesInstanceUid(A, 1, 1), SyntheticCt.seriesInstanceUid(A, 1, 2)),
        column(series, SERIES_UID));
    assertEquals(2, search(demo, "/studies/" + study(A) + "/series?Modality=CT").size());
    assertEquals(204, node.get("/dicomweb/studies/" + study(A) + "/series?Modality=MR", demo, null).statusCode());
    String series2 = SyntheticCt.seriesInstanceUid(A, 1, 2);
    JsonArray instances = search(demo, "/studies/" + study(A) + "/series/" + series2 + "/instances");
    assertEquals(Set.of(SyntheticCt.sopInstanceUid(A, 1, 2, 1), SyntheticCt.sopInstanceUid(A, 1, 2, 2)),
        column(instances, SOP_UID));
    String sop = SyntheticCt.sopInstanceUid(A, 1, 2, 2);
    JsonObject one = only(search(demo, "/instances?SOPInstanceUID=" + sop));
    assertEquals(study(A), value(one, STUDY_UID));
    assertEquals(node.baseUrl() + "/dicomweb/studies/" + study(A) + "/series/" + series2 + "/instances/" + sop,
        value(one, RETRIEVE_URL));
  }

  @Test
  void includefieldAddsTheNamedAttributes() throws Exception {
    String query = "/studies?PatientID=" + SyntheticCt.patientId(B, 1);
    assertFalse(only(search(demo, query)).containsKey(STUDY_DESCRIPTION), "not a default study attribute");
    assertEquals("TC TORACE", value(only(search(demo, query + "&includefield=StudyDescription")), STUDY_DESCRIPTION));
    assertEquals("TC TORACE", value(only(search(demo, query + "&includefield=00081030")), STUDY_DESCRIPTION));
  }

  @Test
  void aTenantSeesOnlyItsOwnStudiesAndNoMatchIs204() throws Exception {
    assertEquals(Set.of(study(C)), column(search(other, "/studies?PatientID=QIDO*"), STUDY_UID));
    HttpResponse<byte[]> elsewhere = node.get("/dicomweb/studies?PatientID=" + SyntheticCt.patientId(C, 1), demo, null);
    assertEquals(204, elsewhere.statusCode());
    assertEquals(0, elsewhere.body().length, "PS3.18 §8.3.4.4.1: no payload");
    assertEquals(204, node.get("/dicomweb/studies/" + study(A) + "/series", other, null).statusCode());
    assertEquals(204, node.get("/dicomweb/instances?SOPInstanceUID=" + SyntheticCt.sopInstanceUid(A, 1, 1, 1), other, null)
        .statusCode());
    assertEquals(204, node.get("/dicomweb/studies?PatientID=NOBODY", demo, null).statusCode());
  }

  @Test
  void everyReturnedStudyIsAudited() throws Exception {
    String auditor = node.token("dr.audit", "demo", Caller.Role.RADIOLOGIST);
    search(auditor, "/studies?PatientID=" + SyntheticCt.patientId(B, 1));
    List<AuditEvent> rows = node.index().auditOfStudy("demo", study(B)).stream().filter(e -> e.subject().equals("dr.audit")).toList();
    assertEquals(1, rows.size(), rows.toString());
    assertEquals("query", rows.get(0).action());
    assertEquals("QIDO_RS", rows.get(0).via());
  }

  @Test
  void queriesThatCannotBeHonouredAre400() throws Exception {
    for (String bad : List.of("/studies?NoSuchKeyword=1", "/studies?StudyDate=2024-01-01", "/studies?limit=abc",
        "/studies?Modality=CT", "/studies?PatientID=A&PatientID=B", "/studies/not-a-uid/series",
        "/studies?offset=100001" /* security: deep paging is bounded */)) {
      HttpResponse<byte[]> r = node.get("/dicomweb" + bad, demo, null);
      assertEquals(400, r.statusCode(), bad);
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), bad);
      assertFalse(new JsonObject(new String(r.body(), StandardCharsets.UTF_8)).getString("detail", "").isBlank(), bad);
    }
    assertEquals(401, node.get("/dicomweb/studies", null, null).statusCode());
  }

  // ---- helpers

  static String study(SyntheticCt.Spec spec) {
    return SyntheticCt.studyInstanceUid(spec, 1);
  }

  /** The results of a search that must succeed: an array of DICOM JSON data sets, empty for 204. */
  static JsonArray search(String token, String path) throws Exception {
    HttpResponse<byte[]> r = node.get("/dicomweb" + path, token, "application/dicom+json");
    if (r.statusCode() == 204) return new JsonArray();
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertEquals(200, r.statusCode(), path + ": " + body);
    assertEquals("application/dicom+json", r.headers().firstValue("Content-Type").orElse(""), path);
    return new JsonArray(body);
  }

  static JsonObject only(JsonArray results) {
    assertEquals(1, results.size(), results.encode());
    return results.getJsonObject(0);
  }

  static Set<String> column(JsonArray results, String tag) {
    Set<String> values = new HashSet<>();
    for (int i = 0; i < results.size(); i++) values.add(value(results.getJsonObject(i), tag));
    assertEquals(results.size(), values.size(), "each result once: " + results.encode());
    return values;
  }

  static String value(JsonObject dataset, String tag) {
    JsonObject attribute = dataset.getJsonObject(tag);
    assertTrue(attribute != null && attribute.containsKey("Value"), "no " + tag + " in " + dataset.encode());
    return attribute.getJsonArray("Value").getValue(0).toString();
  }
}
