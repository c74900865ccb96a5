package imago.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import imago.core.dicom.DicomStatus;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.storage.index.Index;
import imago.storage.index.StoredInstance;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STOW-RS (PS3.18 §10.5) over real HTTP into a real Imago: what is stored is byte for byte the
 * PS3.10 file that was sent, and what fails leaves neither an index row nor an S3 object.
 */
class StowRsTest {
  // PS3.18 Table 10.5.3-1: the response attributes
  private static final String RETRIEVE_URL = "00081190";
  private static final String FAILED_SOP_SEQUENCE = "00081198";
  private static final String FAILURE_REASON = "00081197";
  private static final String REFERENCED_SOP_SEQUENCE = "00081199";
  private static final String REFERENCED_SOP_CLASS_UID = "00081150";
  private static final String REFERENCED_SOP_INSTANCE_UID = "00081155";
  private static final Pattern TAG_KEY = Pattern.compile("[0-9A-F]{8}");
  private static final Pattern VR = Pattern.compile("[A-Z]{2}");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Small enough that the 20 MB instance spills to disk, large enough that the rest do not. */
  private static final int SPOOL_THRESHOLD = 1 << 20;

  @TempDir static Path tmp;
  static TestImago node;
  static String hospital;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"), Map.of("storage.spoolThreshold", Integer.toString(SPOOL_THRESHOLD)));
    hospital = node.token("demo", Caller.Role.HOSPITAL);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void multiInstanceStowStoresEveryPartByteIdenticalAndIndexedAndAnswers200WithConformantJson() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 2, 3).withSize(64, 64).withSeed(101);
    List<byte[]> parts = instances(spec);
    String study = SyntheticCt.studyInstanceUid(spec, 1);

    HttpResponse<String> r = node.stow(hospital, study, parts);

    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/dicom+json", mediaType(r));
    JsonNode body = JSON.readTree(r.body());
    assertConformant(body);
    assertFalse(body.has(FAILED_SOP_SEQUENCE), r.body());
    assertEquals(baseUrl() + "/dicomweb/studies/" + study, text(body, RETRIEVE_URL));
    List<JsonNode> referenced = items(body, REFERENCED_SOP_SEQUENCE);
    assertEquals(parts.size(), referenced.size());
    for (int series = 1; series <= 2; series++) {
      for (int instance = 1; instance <= 3; instance++) {
        String sop = SyntheticCt.sopInstanceUid(spec, 1, series, instance);
        JsonNode item = itemFor(referenced, sop);
        assertEquals(SyntheticCt.CT_IMAGE_STORAGE, text(item, REFERENCED_SOP_CLASS_UID));
        assertEquals(baseUrl() + "/dicomweb/studies/" + study + "/series/" + SyntheticCt.seriesInstanceUid(spec, 1, series)
            + "/instances/" + sop, text(item, RETRIEVE_URL));
        StoredInstance stored = node.imago.index().instance("demo", sop).orElseThrow();
        assertEquals(study, stored.studyUid());
        assertEquals(SyntheticCt.seriesInstanceUid(spec, 1, series), stored.seriesUid());
        // STOW-RS carries whole PS3.10 files; Imago keeps the file exactly as sent, meta header and all
        assertArrayEquals(SyntheticCt.instance(spec, 1, series, instance), node.object(stored.objectKey()), sop);
      }
    }
    assertEquals(6, node.imago.index().studyInstances("demo", study).size());
  }

  @Test
  void instanceOfAnotherStudyFailsWithC003WhileTheMatchingOneIsStoredAnd202() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(2, 1, 1).withSize(32, 32).withSeed(102);
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    String matching = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    String stranger = SyntheticCt.sopInstanceUid(spec, 2, 1, 1);
    Set<String> before = objectKeys();

    HttpResponse<String> r = node.stow(hospital, study, List.of(SyntheticCt.instance(spec, 1, 1, 1),
        SyntheticCt.instance(spec, 2, 1, 1)));

    assertEquals(202, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertConformant(body);
    JsonNode failed = single(items(body, FAILED_SOP_SEQUENCE));
    assertEquals(DicomStatus.CANNOT_UNDERSTAND_WRONG_STUDY, failureReason(failed));
    assertEquals(stranger, text(failed, REFERENCED_SOP_INSTANCE_UID));
    assertEquals(matching, text(single(items(body, REFERENCED_SOP_SEQUENCE)), REFERENCED_SOP_INSTANCE_UID));
    StoredInstance stored = node.imago.index().instance("demo", matching).orElseThrow();
    assertTrue(node.imago.index().instance("demo", stranger).isEmpty());
    assertEquals(Set.of(stored.objectKey()), added(before));
  }

  @Test
  void truncatedInstanceFailsWithC000AndLeavesNoRowAndNoObject() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(64, 64).withSeed(103);
    byte[] whole = SyntheticCt.instance(spec, 1, 1, 2);
    byte[] truncated = Arrays.copyOf(whole, whole.length - 1000); // cut inside Pixel Data
    badPartBesideAGoodOneFails(spec, truncated, DicomStatus.CANNOT_UNDERSTAND, SyntheticCt.sopInstanceUid(spec, 1, 1, 2));
  }

  @Test
  void garbagePartFailsWithC000AndLeavesNoRowAndNoObject() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(104);
    badPartBesideAGoodOneFails(spec, garbage(104), DicomStatus.CANNOT_UNDERSTAND, null);
  }

  @Test
  void instanceWithoutSopInstanceUidFailsWithC001AndLeavesNoRowAndNoObject() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(32, 32).withSeed(105);
    byte[] noUid = withoutSopInstanceUid(SyntheticCt.instance(spec, 1, 1, 2));
    badPartBesideAGoodOneFails(spec, noUid, DicomStatus.CANNOT_UNDERSTAND_UID, SyntheticCt.sopInstanceUid(spec, 1, 1, 2));
  }

  /**
   * Posts instance 1 of {@code spec} and a bad part: 202, the bad part in FailedSOPSequence with
   * {@code reason}, and S3 and the index gain exactly the good instance.
   */
  private void badPartBesideAGoodOneFails(SyntheticCt.Spec spec, byte[] bad, int reason, String badSop) throws Exception {
    String good = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    long rows = node.imago.index().instanceCount();
    Set<String> before = objectKeys();

    HttpResponse<String> r = node.stow(hospital, null, List.of(SyntheticCt.instance(spec, 1, 1, 1), bad));

    assertEquals(202, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertConformant(body);
    JsonNode failed = single(items(body, FAILED_SOP_SEQUENCE));
    assertEquals(reason, failureReason(failed), r.body());
    // PS3.18 Table 10.5.3-1: the failed item names the instance, here as its File Meta Information does
    assertEquals(badSop, text(failed, REFERENCED_SOP_INSTANCE_UID), r.body());
    if (badSop != null) assertEquals(SyntheticCt.CT_IMAGE_STORAGE, text(failed, REFERENCED_SOP_CLASS_UID));
    assertEquals(good, text(single(items(body, REFERENCED_SOP_SEQUENCE)), REFERENCED_SOP_INSTANCE_UID));
    StoredInstance stored = node.imago.index().instance("demo", good).orElseThrow();
    if (badSop != null) assertTrue(node.imago.index().instance("demo", badSop).isEmpty());
    assertEquals(rows + 1, node.imago.index().instanceCount(), "one row: the good instance's");
    assertEquals(Set.of(stored.objectKey()), added(before), "one object: the good instance's");
  }

  @Test
  void requestWhoseEveryPartIsBadAnswers409AndStoresNothing() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(32, 32).withSeed(106);
    byte[] one = SyntheticCt.instance(spec, 1, 1, 1);
    long rows = node.imago.index().instanceCount();
    Set<String> before = objectKeys();

    HttpResponse<String> r = node.stow(hospital, null, List.of(Arrays.copyOf(one, one.length / 2), garbage(106),
        withoutSopInstanceUid(SyntheticCt.instance(spec, 1, 1, 2))));

    assertEquals(409, r.statusCode(), r.body());
    assertEquals("application/dicom+json", mediaType(r));
    JsonNode body = JSON.readTree(r.body());
    assertConformant(body);
    assertFalse(body.has(REFERENCED_SOP_SEQUENCE), r.body());
    List<Integer> reasons = items(body, FAILED_SOP_SEQUENCE).stream().map(StowRsTest::failureReason).toList();
    assertEquals(List.of(DicomStatus.CANNOT_UNDERSTAND, DicomStatus.CANNOT_UNDERSTAND, DicomStatus.CANNOT_UNDERSTAND_UID),
        reasons);
    assertEquals(rows, node.imago.index().instanceCount());
    assertEquals(Set.of(), added(before));
  }

  @Test
  void requestWithoutTokenIsRefused401WithProblemJson() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(107);
    HttpResponse<String> r = node.stow(null, null, instances(spec));
    assertProblem(r, 401);
    assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), r.headers().toString());
    assertTrue(node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
  }

  @Test
  void radiologistMayNotStore403() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(108);
    HttpResponse<String> r = node.stow(node.token("demo", Caller.Role.RADIOLOGIST), null, instances(spec));
    assertProblem(r, 403);
    assertTrue(node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
  }

  @Test
  void bodyThatIsNotMultipartRelatedIs415() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(109);
    HttpResponse<String> r = post("/dicomweb/studies", "application/dicom", "application/dicom+json",
        SyntheticCt.instance(spec, 1, 1, 1));
    assertProblem(r, 415);
    assertTrue(node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
  }

  @Test
  void acceptOnlyDicomXmlIs406() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(110);
    String boundary = "imago-xml-only";
    HttpResponse<String> r = post("/dicomweb/studies", multipartRelated(boundary), "application/dicom+xml",
        TestImago.multipart(boundary, instances(spec)));
    assertProblem(r, 406);
    assertTrue(node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
  }

  @Test
  void bodyWithoutCloseDelimiterIs400YetThePartsCompletedBeforeItAreStored() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 3).withSize(32, 32).withSeed(111);
    String boundary = "imago-unclosed";
    byte[] whole = TestImago.multipart(boundary, instances(spec));
    byte[] close = ("--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] unclosed = Arrays.copyOf(whole, whole.length - close.length);

    HttpResponse<String> r = post("/dicomweb/studies", multipartRelated(boundary), "application/dicom+json", unclosed);

    // What the client sees: 400 problem+json naming in storedSOPInstanceUIDs the instances that
    // were acknowledged before the body turned out malformed. Parts 1 and 2 were each ended by
    // the next part's delimiter, so they are whole and durable (in S3 and indexed). Part 3 was
    // never delimited, so it may be cut short: it is not stored. Re-sending the whole request is
    // safe, since the two stored instances come back as idempotent successes.
    assertProblem(r, 400);
    JsonNode problem = JSON.readTree(r.body());
    List<String> acknowledged = new ArrayList<>();
    problem.path("storedSOPInstanceUIDs").forEach(n -> acknowledged.add(n.asText()));
    String first = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    String second = SyntheticCt.sopInstanceUid(spec, 1, 1, 2);
    assertEquals(List.of(first, second), acknowledged, r.body());
    for (int i = 1; i <= 2; i++) {
      StoredInstance stored = node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, i)).orElseThrow();
      assertArrayEquals(SyntheticCt.instance(spec, 1, 1, i), node.object(stored.objectKey()));
    }
    assertTrue(node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 3)).isEmpty());
    assertEquals(2, node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).size());
  }

  @Test
  void sameInstanceTwiceIs200BothTimesAndStoredOnce() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(112);
    String sop = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);

    HttpResponse<String> first = node.stow(hospital, null, instances(spec));
    assertEquals(200, first.statusCode(), first.body());
    StoredInstance stored = node.imago.index().instance("demo", sop).orElseThrow();
    Set<String> before = objectKeys();
    HttpResponse<String> second = node.stow(hospital, null, instances(spec));

    assertEquals(200, second.statusCode(), second.body());
    JsonNode body = JSON.readTree(second.body());
    assertConformant(body);
    assertEquals(sop, text(single(items(body, REFERENCED_SOP_SEQUENCE)), REFERENCED_SOP_INSTANCE_UID));
    assertEquals(stored, node.imago.index().instance("demo", sop).orElseThrow());
    assertEquals(Set.of(), added(before));
    assertEquals(before, objectKeys());
  }

  @Test
  void sameSopInstanceUidWithOtherBytesFailsWith0111AndLeavesTheOriginalUntouched() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(113);
    String sop = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    byte[] original = SyntheticCt.instance(spec, 1, 1, 1);
    assertEquals(200, node.stow(hospital, null, List.of(original)).statusCode());
    StoredInstance stored = node.imago.index().instance("demo", sop).orElseThrow();
    byte[] changed = original.clone();
    changed[changed.length - 10] ^= 0x5A; // one pixel differs, same UIDs
    Set<String> before = objectKeys();

    HttpResponse<String> r = node.stow(hospital, null, List.of(changed));

    assertEquals(409, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertConformant(body);
    JsonNode failed = single(items(body, FAILED_SOP_SEQUENCE));
    assertEquals(DicomStatus.DUPLICATE_SOP_INSTANCE, failureReason(failed));
    assertEquals(sop, text(failed, REFERENCED_SOP_INSTANCE_UID));
    assertEquals(stored, node.imago.index().instance("demo", sop).orElseThrow());
    assertArrayEquals(original, node.object(stored.objectKey()), "the acknowledged object is untouched");
    assertEquals(before, objectKeys(), "the rejected bytes left no object");
    List<Index.Conflict> conflicts = node.imago.index().conflicts("demo", sop);
    assertEquals(1, conflicts.size());
    assertEquals("rejected", conflicts.get(0).outcome());
  }

  @Test
  void twentyMegabyteInstanceSpillsToDiskAndIsStoredByteIdentical() throws Exception {
    // 3200 x 3200 x 16 bits = 20.5 MB of pixels, twenty times the spool's memory threshold
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(3200, 3200).withSeed(114);
    byte[] big = SyntheticCt.instance(spec, 1, 1, 1);
    assertTrue(big.length > 20_000_000, "instance is " + big.length + " bytes");

    HttpResponse<String> r = node.stow(hospital, null, List.of(big));

    assertEquals(200, r.statusCode(), r.body());
    StoredInstance stored = node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).orElseThrow();
    assertEquals(big.length, stored.objectSize());
    assertArrayEquals(big, node.object(stored.objectKey()));
    // The spool folder is created only when a part outgrows memory, and emptied when it is done
    Path spool = node.data.resolve("spool");
    assertTrue(Files.isDirectory(spool), "the part spilled to " + spool);
    try (var left = Files.list(spool)) {
      assertEquals(0, left.count(), "spool files are removed after the part is stored");
    }
  }

  // ---- helpers

  private static List<byte[]> instances(SyntheticCt.Spec spec) {
    List<byte[]> parts = new ArrayList<>();
    for (int st = 1; st <= spec.studies(); st++) {
      for (int se = 1; se <= spec.seriesPerStudy(); se++) {
        for (int in = 1; in <= spec.instancesPerSeries(); in++) parts.add(SyntheticCt.instance(spec, st, se, in));
      }
    }
    return parts;
  }

  private static byte[] garbage(long seed) {
    byte[] b = new byte[4096];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** The same PS3.10 file with SOP Instance UID (0008,0018) removed from its data set. */
  private static byte[] withoutSopInstanceUid(byte[] part10) throws Exception {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
      list.read(in);
    }
    list.remove(TagFromName.SOPInstanceUID);
    ByteArrayOutputStream out = new ByteArrayOutputStream(part10.length);
    list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
    byte[] result = out.toByteArray();
    assertNotEquals(part10.length, result.length);
    return result;
  }

  private static String baseUrl() {
    // node.publicUrl is empty: RetrieveURLs are rooted at the address the request came to
    return node.baseUrl();
  }

  private static String multipartRelated(String boundary) {
    return "multipart/related; type=\"application/dicom\"; boundary=" + boundary;
  }

  private static HttpResponse<String> post(String path, String contentType, String accept, byte[] body) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .timeout(Duration.ofMinutes(1))
        .header("Authorization", "Bearer " + hospital)
        .header("Content-Type", contentType)
        .header("Accept", accept)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build());
  }

  private static Set<String> objectKeys() throws Exception {
    Set<String> keys = new HashSet<>();
    node.imago.store().list("", info -> keys.add(info.key()));
    return keys;
  }

  private static Set<String> added(Set<String> before) throws Exception {
    Set<String> now = objectKeys();
    now.removeAll(before);
    return now;
  }

  private static String mediaType(HttpResponse<?> r) {
    return r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
  }

  private static void assertProblem(HttpResponse<String> r, int status) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/problem+json", mediaType(r));
    JsonNode problem = JSON.readTree(r.body());
    assertEquals(status, problem.path("status").asInt(), r.body());
    assertTrue(problem.path("type").asText().startsWith("urn:imago:problem:"), r.body());
    assertFalse(problem.path("title").asText().isEmpty(), r.body());
  }

  /**
   * PS3.18 Annex F: every attribute is keyed by eight uppercase hex digits and has a "vr";
   * sequences hold items that obey the same rules.
   */
  private static void assertConformant(JsonNode dataset) {
    assertTrue(dataset.isObject(), dataset.toString());
    for (Iterator<Map.Entry<String, JsonNode>> it = dataset.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      assertTrue(TAG_KEY.matcher(e.getKey()).matches(), "key " + e.getKey());
      String vr = e.getValue().path("vr").asText();
      assertTrue(VR.matcher(vr).matches(), "vr of " + e.getKey() + ": " + e.getValue());
      JsonNode value = e.getValue().get("Value");
      if (value == null) continue;
      assertTrue(value.isArray() && !value.isEmpty(), e.getKey() + " Value is a non-empty array");
      for (JsonNode v : value) {
        switch (vr) {
          case "SQ" -> assertConformant(v);
          case "US", "UL", "SS", "SL", "FL", "FD" -> assertTrue(v.isNumber(), e.getKey() + " holds numbers");
          case "UI", "UR" -> assertTrue(v.isTextual(), e.getKey() + " holds strings");
          default -> { }
        }
      }
    }
  }

  private static List<JsonNode> items(JsonNode dataset, String tag) {
    JsonNode attribute = dataset.get(tag);
    assertTrue(attribute != null, "no " + tag + " in " + dataset);
    assertEquals("SQ", attribute.path("vr").asText());
    List<JsonNode> items = new ArrayList<>();
    attribute.path("Value").forEach(items::add);
    return items;
  }

  private static JsonNode single(List<JsonNode> items) {
    assertEquals(1, items.size(), items.toString());
    return items.get(0);
  }

  private static JsonNode itemFor(List<JsonNode> items, String sop) {
    return items.stream().filter(i -> sop.equals(text(i, REFERENCED_SOP_INSTANCE_UID))).findFirst()
        .orElseThrow(() -> new AssertionError("no item for " + sop + " in " + items));
  }

  private static String text(JsonNode dataset, String tag) {
    JsonNode value = dataset.path(tag).path("Value");
    return value.isArray() && value.size() == 1 ? value.get(0).asText() : null;
  }

  private static int failureReason(JsonNode item) {
    JsonNode reason = item.path(FAILURE_REASON);
    assertEquals("US", reason.path("vr").asText(), item.toString());
    return reason.path("Value").path(0).asInt(-1);
  }
}
