package imago.node.dicomweb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.DicomStatus;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.storage.index.StoredInstance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * STOW-RS (PS3.18 §10.5) on a node serving nothing else: what is acknowledged is stored as sent and
 * linked by RetrieveURLs at the address the request came to; a part that fails is listed and
 * leaves nothing behind while the others are stored; refusals come before the body is read.
 */
class StowRsTest {
  // PS3.18 Table 10.5.3-1: the response attributes
  private static final String RETRIEVE_URL = "00081190";
  private static final String FAILED_SOP_SEQUENCE = "00081198";
  private static final String FAILURE_REASON = "00081197";
  private static final String REFERENCED_SOP_SEQUENCE = "00081199";
  private static final String REFERENCED_SOP_CLASS_UID = "00081150";
  private static final String REFERENCED_SOP_INSTANCE_UID = "00081155";
  private static final String DICOM_PARTS = "multipart/related; type=\"application/dicom\"; boundary=";

  @TempDir static Path tmp;
  static DicomWebNode node;
  static String hospital;

  @BeforeAll
  static void start() throws Exception {
    node = DicomWebNode.start(tmp.resolve("node"), DicomWebNode.Family.STOW_RS);
    hospital = node.token("demo", Caller.Role.HOSPITAL);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void twoInstancesAreStoredAsSentAnd200LinksThemUnderTheRequestsAddress() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(32, 32).withSeed(5101);
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    String series = SyntheticCt.seriesInstanceUid(spec, 1, 1);

    HttpResponse<String> r = stow(hospital, "/dicomweb/studies/" + study, DICOM_PARTS + "b5101",
        DicomWebNode.multipart("b5101", List.of(SyntheticCt.instance(spec, 1, 1, 1), SyntheticCt.instance(spec, 1, 1, 2))));

    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/dicom+json", r.headers().firstValue("Content-Type").orElse(""));
    JsonObject body = new JsonObject(r.body());
    assertFalse(body.containsKey(FAILED_SOP_SEQUENCE), r.body());
    String root = node.baseUrl() + "/dicomweb";
    assertEquals(root + "/studies/" + study, value(body, RETRIEVE_URL));
    JsonArray referenced = items(body, REFERENCED_SOP_SEQUENCE);
    assertEquals(2, referenced.size());
    for (int in = 1; in <= 2; in++) {
      String sop = SyntheticCt.sopInstanceUid(spec, 1, 1, in);
      JsonObject item = itemFor(referenced, sop);
      assertEquals(SyntheticCt.CT_IMAGE_STORAGE, value(item, REFERENCED_SOP_CLASS_UID));
      assertEquals(root + "/studies/" + study + "/series/" + series + "/instances/" + sop, value(item, RETRIEVE_URL));
      StoredInstance stored = node.index().instance("demo", sop).orElseThrow();
      assertArrayEquals(SyntheticCt.instance(spec, 1, 1, in), node.object(stored.objectKey()), "stored as sent: " + sop);
    }
    assertTrue(node.index().studyInstances("other", study).isEmpty(), "stored for the token's tenant only");
  }

  /** Security: each part is an ingest and a line of the answer, so their number is bounded like the bytes are. */
  @Test
  void moreThanTenThousandPartsIs413() throws Exception {
    List<byte[]> empty = java.util.Collections.nCopies(10_001, new byte[0]);
    HttpResponse<String> r = stow(hospital, "/dicomweb/studies", DICOM_PARTS + "many", DicomWebNode.multipart("many", empty));
    assertEquals(413, r.statusCode(), r.body());
    assertTrue(r.body().contains("Too many parts"), r.body());
  }

  @Test
  void aCorruptPartIsListedAsFailedWhileTheGoodPartIsStored() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(32, 32).withSeed(5102);
    String good = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    String bad = SyntheticCt.sopInstanceUid(spec, 1, 1, 2);
    byte[] whole = SyntheticCt.instance(spec, 1, 1, 2);
    byte[] truncated = Arrays.copyOf(whole, whole.length - 500); // cut inside Pixel Data
    Set<String> before = node.objectKeys();

    HttpResponse<String> r = stow(hospital, "/dicomweb/studies", DICOM_PARTS + "b5102",
        DicomWebNode.multipart("b5102", List.of(SyntheticCt.instance(spec, 1, 1, 1), truncated)));

    // PS3.18 §10.5.3: some stored, some failed is 202
    assertEquals(202, r.statusCode(), r.body());
    JsonObject body = new JsonObject(r.body());
    JsonArray failed = items(body, FAILED_SOP_SEQUENCE);
    assertEquals(1, failed.size(), r.body());
    assertEquals(bad, value(failed.getJsonObject(0), REFERENCED_SOP_INSTANCE_UID));
    assertEquals(DicomStatus.CANNOT_UNDERSTAND, failed.getJsonObject(0).getJsonObject(FAILURE_REASON)
        .getJsonArray("Value").getInteger(0));
    JsonArray referenced = items(body, REFERENCED_SOP_SEQUENCE);
    assertEquals(1, referenced.size(), r.body());
    assertEquals(good, value(referenced.getJsonObject(0), REFERENCED_SOP_INSTANCE_UID));
    StoredInstance stored = node.index().instance("demo", good).orElseThrow();
    assertTrue(node.index().instance("demo", bad).isEmpty(), "the corrupt part has no row");
    Set<String> added = new HashSet<>(node.objectKeys());
    added.removeAll(before);
    assertEquals(Set.of(stored.objectKey()), added, "one object: the good part's");
  }

  @Test
  void aBodyThatIsNotMultipartRelatedIs415AndNoTokenIs401() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(5103);
    byte[] file = SyntheticCt.instance(spec, 1, 1, 1);

    HttpResponse<String> bare = stow(hospital, "/dicomweb/studies", "application/dicom", file);
    assertEquals(415, bare.statusCode(), bare.body());
    assertEquals("application/problem+json", bare.headers().firstValue("Content-Type").orElse(""));
    assertEquals(415, stow(hospital, "/dicomweb/studies", "multipart/related; type=\"application/dicom+xml\"; boundary=x",
        DicomWebNode.multipart("x", List.of(file))).statusCode(), "metadata+bulkdata STOW is not offered");
    assertEquals(401, stow(null, "/dicomweb/studies", DICOM_PARTS + "x", DicomWebNode.multipart("x", List.of(file)))
        .statusCode());
    assertTrue(node.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
  }

  /**
   * A boundary the parser cannot use (RFC 2046 §5.1.1: at most 70 characters; Imago takes 200)
   * is refused 400 before the body is read, not left without an answer. Found by the STOW-RS
   * fuzz (StowFuzzTest), where such requests hung until the client gave up.
   */
  @Test
  void aBoundaryLongerThan200CharactersIs400() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(5105);
    String boundary = "b".repeat(201);

    HttpResponse<String> r = stow(hospital, "/dicomweb/studies", DICOM_PARTS + boundary,
        DicomWebNode.multipart(boundary, List.of(SyntheticCt.instance(spec, 1, 1, 1))));

    assertEquals(400, r.statusCode(), r.body());
    assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
    assertTrue(node.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).isEmpty());
  }

  @Test
  @Timeout(60) // a body nobody reads would block the write
  void aRadiologistIsRefused403AndTheSameConnectionThenStores() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(256, 256).withSeed(5104);
    String sop = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    byte[] body = DicomWebNode.multipart("b5104", List.of(SyntheticCt.instance(spec, 1, 1, 1)));

    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      socket.setSoTimeout(30_000);
      Exchange refused = exchange(socket, node.token("demo", Caller.Role.RADIOLOGIST), body);
      assertEquals(403, refused.status(), refused.body());
      assertEquals("Role may not store", new JsonObject(refused.body()).getString("title"));
      assertTrue(node.index().instance("demo", sop).isEmpty());
      // the refused body was read and discarded: the next request on this connection is answered
      Exchange stored = exchange(socket, hospital, body);
      assertEquals(200, stored.status(), stored.body());
    }
    assertTrue(node.index().instance("demo", sop).isPresent());
  }

  // ---- helpers

  private static HttpResponse<String> stow(String token, String path, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .timeout(Duration.ofMinutes(1))
        .header("Content-Type", contentType)
        .header("Accept", "application/dicom+json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) rq.header("Authorization", "Bearer " + token);
    return node.send(rq.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** One HTTP/1.1 request and its answer on a connection the test holds, so that it can tell it stays open. */
  private record Exchange(int status, String body) {}

  private static Exchange exchange(Socket socket, String token, byte[] body) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(("POST /dicomweb/studies HTTP/1.1\r\nHost: 127.0.0.1:" + node.port() + "\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: " + DICOM_PARTS + "b5104\r\nAccept: application/dicom+json\r\nContent-Length: " + body.length
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    InputStream in = socket.getInputStream();
    String head = head(in);
    int length = -1;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
    }
    assertTrue(length >= 0, "a sized answer: " + head);
    assertFalse(head.toLowerCase(Locale.ROOT).contains("connection: close"), head);
    return new Exchange(Integer.parseInt(head.substring(9, 12)), new String(in.readNBytes(length), StandardCharsets.UTF_8));
  }

  /** The status line and headers, up to the empty line. */
  private static String head(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) throw new IOException("connection closed after " + head);
      head.write(b);
      byte[] h = head.toByteArray();
      int n = h.length;
      if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
        return new String(h, StandardCharsets.US_ASCII);
      }
    }
  }

  private static JsonArray items(JsonObject dataset, String tag) {
    JsonObject attribute = dataset.getJsonObject(tag);
    assertTrue(attribute != null, "no " + tag + " in " + dataset.encode());
    assertEquals("SQ", attribute.getString("vr"));
    return attribute.getJsonArray("Value");
  }

  private static JsonObject itemFor(JsonArray items, String sop) {
    for (int i = 0; i < items.size(); i++) {
      if (sop.equals(value(items.getJsonObject(i), REFERENCED_SOP_INSTANCE_UID))) return items.getJsonObject(i);
    }
    throw new AssertionError("no item for " + sop + " in " + items.encode());
  }

  private static String value(JsonObject dataset, String tag) {
    JsonObject attribute = dataset.getJsonObject(tag);
    return attribute == null ? null : attribute.getJsonArray("Value").getString(0);
  }
}
