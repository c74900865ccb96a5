package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.app.QueryFixtures.Study;
import imago.core.tenant.Caller;
import imago.storage.index.AuditEvent;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QIDO-RS (PS3.18 §10.6) over real HTTP against a real Imago holding a made-to-measure set of
 * Italian patients: the PS3.18 matching cases, includefield, paging, computed attributes, the
 * DICOM JSON rules, tenant scope and shares, and one audit row per result.
 */
class QidoRsTest {
  static final String STUDY_UID = "0020000D";
  static final String SERIES_UID = "0020000E";
  static final String SOP_UID = "00080018";
  static final String PATIENT_NAME = "00100010";
  static final String RETRIEVE_URL = "00081190";
  static final String STUDY_DESCRIPTION = "00081030";
  static final Pattern TAG_KEY = Pattern.compile("[0-9A-F]{8}");
  static final Set<String> NUMBER_VRS = Set.of("DS", "FL", "FD", "IS", "SL", "SS", "SV", "UL", "US", "UV");
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static TestImago node;
  static String demo;
  static String other;
  static Study nicolo;
  static Study salvo;
  static Study mario;
  static Study maria;
  static Study otherNicolo;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    demo = node.token("demo", Caller.Role.RADIOLOGIST);
    other = node.token("other", Caller.Role.RADIOLOGIST);
    nicolo = Study.of("QIDO-P1", "Bianchi^Nicolò", "20240105", "083000", "TC TORACE", List.of("CT", "MR"), List.of(2, 1));
    salvo = Study.of("QIDO-P2", "Russo^Sàlvo", "20240120", "143000", "RX TORACE", List.of("CT"), List.of(1));
    mario = Study.of("QIDO-P3", "Rossi^Mario", "20231231", "235900", "RM ENCEFALO", List.of("MR"), List.of(1));
    maria = Study.of("QIDO-P4", "ROSSI^MARIA", "20240215", "100000", "100%_DONE", List.of("CT"), List.of(1));
    otherNicolo = Study.of("QIDO-P9", "Bianchi^Nicolò", "20240110", "090000", "TC TORACE", List.of("CT"), List.of(1));
    for (Study s : List.of(nicolo, salvo, mario, maria)) QueryFixtures.stow(node, "demo", s);
    QueryFixtures.stow(node, "other", otherNicolo);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  // ---- matching (PS3.18 §8.3.4.1, PS3.4 C.2.2.2) ----

  @Test
  void singleValueWildcardAndUidListMatching() throws Exception {
    assertEquals(uids(nicolo), studies(demo, "PatientID=QIDO-P1"));
    assertEquals(uids(mario), studies(demo, "PatientName=Rossi*"), "literal PN matching is case-sensitive");
    assertEquals(uids(mario, maria), studies(demo, "00100010=R%3FSSI*&fuzzymatching=true"));
    assertEquals(uids(nicolo, maria), studies(demo, "StudyInstanceUID=" + nicolo.uid() + "," + maria.uid()));
    assertEquals(uids(salvo, mario), studies(demo, "0020000D=" + salvo.uid() + "%5C" + mario.uid()));
    assertEquals(uids(maria), studies(demo, "StudyDescription=" + enc("100%_*")), "SQL wildcards are literal");
    assertEquals(uids(), studies(demo, "StudyDescription=" + enc("1_0*")));
    assertEquals(uids(nicolo, salvo, mario, maria), studies(demo, "PatientName="), "empty value: universal matching");
  }

  @Test
  void dateAndTimeRanges() throws Exception {
    assertEquals(uids(nicolo, salvo), studies(demo, "StudyDate=20240101-20240131"));
    assertEquals(uids(mario), studies(demo, "StudyDate=-20231231"));
    assertEquals(uids(maria), studies(demo, "StudyDate=20240201-"));
    assertEquals(uids(salvo), studies(demo, "StudyDate=20240120"));
    assertEquals(uids(nicolo), studies(demo, "StudyTime=08-09"));
  }

  @Test
  void fuzzyPersonNameMatchingIgnoresCaseAndAccents() throws Exception {
    assertEquals(uids(nicolo), studies(demo, "PatientName=nicolo&fuzzymatching=true"));
    assertEquals(uids(nicolo), studies(demo, "PatientName=" + enc("BIANCHI^NICOLÒ") + "&fuzzymatching=true"));
    assertEquals(uids(salvo), studies(demo, "PatientName=SALVO&fuzzymatching=true"));
    assertEquals(uids(mario, maria), studies(demo, "PatientName=rossi&fuzzymatching=true"));
    assertEquals(204, get(demo, "/studies?PatientName=nicolo").statusCode(), "without fuzzymatching nothing matches");
  }

  @Test
  void modalitiesInStudyMatchesAStudyWithASeriesOfThatModalityAndComputedAttributesAreRight() throws Exception {
    assertEquals(uids(nicolo, mario), studies(demo, "ModalitiesInStudy=MR"));
    JsonNode study = only(json(get(demo, "/studies?StudyInstanceUID=" + nicolo.uid())));
    assertEquals(List.of("CT", "MR"), strings(study, "00080061"));
    assertEquals(2, study.get("00201206").get("Value").get(0).intValue(), "NumberOfStudyRelatedSeries");
    assertEquals(3, study.get("00201208").get("Value").get(0).intValue(), "NumberOfStudyRelatedInstances");
    assertEquals("Bianchi^Nicolò", study.get(PATIENT_NAME).get("Value").get(0).get("Alphabetic").textValue());
    assertEquals("ONLINE", strings(study, "00080056").get(0));
    assertEquals(retrieveBase() + "/studies/" + nicolo.uid(), strings(study, RETRIEVE_URL).get(0));
  }

  // ---- levels and resources ----

  @Test
  void seriesOfAStudyCarryTheirCountsAndRetrieveUrls() throws Exception {
    JsonNode series = json(get(demo, "/studies/" + nicolo.uid() + "/series"));
    assertEquals(2, series.size());
    for (int i = 0; i < 2; i++) {
      JsonNode s = series.get(i);
      assertEquals(nicolo.seriesUids().get(i), strings(s, SERIES_UID).get(0));
      assertEquals(nicolo.modalities().get(i), strings(s, "00080060").get(0));
      assertEquals(i + 1, s.get("00200011").get("Value").get(0).intValue(), "SeriesNumber");
      assertEquals(nicolo.sopUids().get(i).size(), s.get("00201209").get("Value").get(0).intValue());
      assertEquals(retrieveBase() + "/studies/" + nicolo.uid() + "/series/" + nicolo.seriesUids().get(i),
          strings(s, RETRIEVE_URL).get(0));
      assertFalse(s.has(PATIENT_NAME), "within a study, series results carry no study attributes");
    }
  }

  @Test
  void instancesOfASeriesOfAStudyAndOfAllStudies() throws Exception {
    JsonNode instances = json(get(demo, "/studies/" + nicolo.uid() + "/series/" + nicolo.seriesUids().get(0) + "/instances"));
    assertEquals(nicolo.sopUids().get(0), column(instances, SOP_UID));
    JsonNode first = instances.get(0);
    assertEquals("1.2.840.10008.5.1.4.1.1.2", strings(first, "00080016").get(0));
    assertEquals(16, first.get("00280010").get("Value").get(0).intValue(), "Rows as a number");
    assertEquals(1, first.get("00200013").get("Value").get(0).intValue(), "InstanceNumber as a number");
    assertEquals(retrieveBase() + "/studies/" + nicolo.uid() + "/series/" + nicolo.seriesUids().get(0)
        + "/instances/" + nicolo.sopUids().get(0).get(0), strings(first, RETRIEVE_URL).get(0));

    JsonNode ofStudy = json(get(demo, "/studies/" + nicolo.uid() + "/instances"));
    assertEquals(3, ofStudy.size());
    assertTrue(ofStudy.get(0).has(SERIES_UID) && ofStudy.get(0).has("00080060"), "series attributes when not within a series");

    JsonNode one = only(json(get(demo, "/instances?SOPInstanceUID=" + maria.sopUids().get(0).get(0))));
    assertEquals(maria.uid(), strings(one, STUDY_UID).get(0));
    assertEquals("QIDO-P4", strings(one, "00100020").get(0), "all instances: study attributes too");
  }

  @Test
  void allSeriesMatchByModalityAndCarryStudyAttributes() throws Exception {
    JsonNode ct = json(get(demo, "/series?Modality=CT"));
    assertEquals(List.of(nicolo.seriesUids().get(0), salvo.seriesUids().get(0), maria.seriesUids().get(0)),
        column(ct, SERIES_UID));
    assertTrue(ct.get(0).has(PATIENT_NAME) && ct.get(0).has("00201206"), "PS3.18 §10.6.3.3.2: study attributes");
    assertEquals(List.of(salvo.seriesUids().get(0)), column(json(get(demo, "/series?Modality=CT&PatientID=QIDO-P2")),
        SERIES_UID));
  }

  // ---- includefield, paging ----

  @Test
  void includefieldAddsNamedAttributesOrAll() throws Exception {
    JsonNode plain = only(json(get(demo, "/studies?PatientID=QIDO-P1")));
    assertFalse(plain.has(STUDY_DESCRIPTION));
    assertEquals("TC TORACE", strings(only(json(get(demo, "/studies?PatientID=QIDO-P1&includefield=StudyDescription"))),
        STUDY_DESCRIPTION).get(0));
    JsonNode byTag = only(json(get(demo, "/studies?PatientID=QIDO-P1&includefield=00081030,00100021")));
    assertTrue(byTag.has(STUDY_DESCRIPTION) && byTag.has("00100021"));
    JsonNode all = only(json(get(demo, "/studies?PatientID=QIDO-P1&includefield=all")));
    assertTrue(all.has(STUDY_DESCRIPTION) && all.has("00100021") && all.has("00080090"), all.toString());
    HttpResponse<String> notKept = get(demo, "/studies?PatientID=QIDO-P1&includefield=PerformingPhysicianName");
    assertEquals(200, notKept.statusCode());
    assertTrue(notKept.headers().allValues("Warning").stream().anyMatch(w -> w.startsWith("299 ")
        && w.contains("PerformingPhysicianName")), notKept.headers().map().toString());
  }

  @Test
  void limitAndOffsetPageThroughEveryStudyOnceAndWarnWhileMoreRemain() throws Exception {
    HttpResponse<String> first = get(demo, "/studies?limit=3");
    HttpResponse<String> second = get(demo, "/studies?limit=3&offset=3");
    assertEquals(3, json(first).size());
    assertTrue(first.headers().allValues("Warning").stream().anyMatch(w -> w.contains("additional results")));
    assertEquals(1, json(second).size());
    assertTrue(second.headers().allValues("Warning").isEmpty(), second.headers().map().toString());
    // the first page says where the next is (RFC 8288), and following it gives the second page
    String link = first.headers().firstValue("Link").orElseThrow();
    assertTrue(link.endsWith(">; rel=\"next\""), link);
    String next = link.substring(1, link.indexOf('>'));
    assertTrue(next.contains("limit=3") && next.contains("offset=3"), next);
    assertEquals(json(second), json(get(demo, next.substring(next.indexOf("/studies")))));
    assertTrue(second.headers().firstValue("Link").isEmpty(), "no next page after the last");
    List<String> paged = new ArrayList<>(column(json(first), STUDY_UID));
    paged.addAll(column(json(second), STUDY_UID));
    assertEquals(uids(nicolo, salvo, mario, maria), paged);
    assertEquals(204, get(demo, "/studies?offset=4").statusCode());
  }

  // ---- access: scope, shares, audit ----

  @Test
  void aTenantsTokenNeverSeesAnotherTenantsStudies() throws Exception {
    assertEquals(uids(nicolo), studies(demo, "PatientName=Bianchi*"));
    assertEquals(uids(otherNicolo), studies(other, "PatientName=Bianchi*"));
    assertEquals(204, get(demo, "/studies/" + otherNicolo.uid() + "/series").statusCode());
    assertEquals(204, get(demo, "/instances?SOPInstanceUID=" + otherNicolo.sopUids().get(0).get(0)).statusCode());
    assertEquals(204, get(other, "/studies?StudyInstanceUID=" + nicolo.uid()).statusCode());
  }

  @Test
  void anUnexpiredShareShowsTheStudyToItsGranteeAndAnExpiredOneDoesNot() throws Exception {
    String verdi = node.imago.auth().mint("dr-verdi", "demo", Caller.Role.RADIOLOGIST, Duration.ofHours(1));
    String neri = node.imago.auth().mint("dr-neri", "demo", Caller.Role.RADIOLOGIST, Duration.ofHours(1));
    node.imago.index().share("other", otherNicolo.uid(), "dr-verdi", "admin", Instant.now().plus(Duration.ofHours(1)))
        .orElseThrow();
    node.imago.index().share("other", otherNicolo.uid(), "dr-neri", "admin", Instant.now().minusSeconds(1))
        .orElseThrow();
    assertEquals(uids(nicolo, otherNicolo), studies(verdi, "PatientName=Bianchi*"));
    assertEquals(List.of(otherNicolo.seriesUids().get(0)),
        column(json(get(verdi, "/studies/" + otherNicolo.uid() + "/series")), SERIES_UID));
    assertEquals(uids(nicolo), studies(neri, "PatientName=Bianchi*"));
    assertEquals(uids(nicolo), studies(demo, "PatientName=Bianchi*"), "the share is for dr-verdi, not the tenant");
  }

  @Test
  void everyReturnedStudySeriesAndInstanceLeavesOneAuditRow() throws Exception {
    String auditor = node.imago.auth().mint("dr-audit", "demo", Caller.Role.RADIOLOGIST, Duration.ofHours(1));
    assertEquals(uids(salvo), studies(auditor, "PatientID=QIDO-P2"));
    json(get(auditor, "/studies/" + salvo.uid() + "/series"));
    json(get(auditor, "/studies/" + salvo.uid() + "/series/" + salvo.seriesUids().get(0) + "/instances"));
    List<AuditEvent> rows = node.imago.index().auditOfStudy("demo", salvo.uid()).stream()
        .filter(e -> e.subject().equals("dr-audit")).toList();
    assertEquals(3, rows.size(), rows.toString());
    for (AuditEvent e : rows) {
      assertEquals("query", e.action());
      assertEquals("QIDO_RS", e.via());
      assertEquals("demo", e.tenantId());
      assertEquals("radiologist", e.role());
    }
    assertEquals(null, rows.get(0).seriesUid());
    assertEquals(salvo.seriesUids().get(0), rows.get(1).seriesUid());
    assertEquals(salvo.sopUids().get(0).get(0), rows.get(2).sopUid());
  }

  // ---- refusals ----

  @Test
  void badParametersAre400ProblemsAndOtherMediaTypes406() throws Exception {
    for (String bad : List.of("/studies?NoSuchKeyword=1", "/studies?StudyDate=2024-01-01", "/studies?limit=abc",
        "/studies?limit=0", "/studies?Modality=CT", "/studies?NumberOfStudyRelatedSeries=2",
        "/studies?StudyInstanceUID=1.2.*", "/studies?fuzzymatching=maybe", "/studies?PatientID=A&PatientID=B",
        "/studies?00400275.00321060=X", "/studies/not-a-uid/series")) {
      HttpResponse<String> r = get(demo, bad);
      assertEquals(400, r.statusCode(), bad + " -> " + r.body());
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), bad);
      assertFalse(JSON.readTree(r.body()).path("detail").asText().isBlank(), bad);
    }
    HttpRequest xml = HttpRequest.newBuilder(URI.create(node.baseUrl() + "/dicomweb/studies"))
        .header("Authorization", "Bearer " + demo).header("Accept", "multipart/related; type=\"application/dicom+xml\"")
        .GET().build();
    assertEquals(406, node.send(xml).statusCode());
    assertEquals(401, node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/dicomweb/studies")).GET().build())
        .statusCode());
  }

  // ---- helpers ----

  static String enc(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** RetrieveURLs name node.publicUrl, else the address the request came to. */
  static String retrieveBase() {
    return node.baseUrl() + "/dicomweb";
  }

  static HttpResponse<String> get(String token, String path) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/dicomweb" + path))
        .header("Authorization", "Bearer " + token).header("Accept", "application/dicom+json").GET().build());
  }

  /** The response as JSON, after checking it is conformant DICOM JSON (204 reads as []). */
  static JsonNode json(HttpResponse<String> r) throws Exception {
    if (r.statusCode() == 204) {
      assertTrue(r.body().isEmpty());
      return JSON.createArrayNode();
    }
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/dicom+json", r.headers().firstValue("Content-Type").orElse(""));
    JsonNode body = JSON.readTree(r.body());
    assertTrue(body.isArray(), "PS3.18 F.2: an array of data sets");
    for (JsonNode dataset : body) assertConformant(dataset);
    return body;
  }

  /** PS3.18 Annex F: uppercase 8-hex keys in order, a vr, numbers for numeric VRs, objects for PN, strings else. */
  static void assertConformant(JsonNode dataset) {
    String previous = "";
    for (Iterator<Map.Entry<String, JsonNode>> it = dataset.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      assertTrue(TAG_KEY.matcher(e.getKey()).matches(), "key " + e.getKey());
      assertTrue(e.getKey().compareTo(previous) > 0, "attributes in tag order: " + e.getKey());
      previous = e.getKey();
      JsonNode a = e.getValue();
      String vr = a.path("vr").asText();
      assertTrue(vr.matches("[A-Z]{2}"), e.getKey() + " vr " + a);
      if (!a.has("Value")) continue;
      assertTrue(a.get("Value").isArray() && a.get("Value").size() > 0, e.getKey() + ": Value is a non-empty array");
      for (JsonNode v : a.get("Value")) {
        if (v.isNull()) continue;
        if (NUMBER_VRS.contains(vr)) assertTrue(v.isNumber(), e.getKey() + " " + vr + " as a number: " + v);
        else if (vr.equals("PN")) assertTrue(v.isObject() && v.has("Alphabetic"), e.getKey() + " PN object: " + v);
        else assertTrue(v.isTextual(), e.getKey() + " " + vr + " as a string: " + v);
      }
    }
  }

  static List<String> studies(String token, String query) throws Exception {
    return column(json(get(token, "/studies?" + query)), STUDY_UID);
  }

  static List<String> uids(Study... studies) {
    return java.util.Arrays.stream(studies).map(Study::uid).toList();
  }

  static List<String> column(JsonNode results, String tag) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : results) out.add(strings(r, tag).get(0));
    return out;
  }

  static List<String> strings(JsonNode dataset, String tag) {
    List<String> out = new ArrayList<>();
    dataset.path(tag).path("Value").forEach(v -> out.add(v.asText()));
    return out;
  }

  static JsonNode only(JsonNode array) {
    assertEquals(1, array.size(), array.toString());
    return array.get(0);
  }
}
