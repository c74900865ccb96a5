package imago.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.storage.index.AuditEvent;
import imago.storage.index.StoredInstance;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WADO-URI (PS3.18 §9), as XDS-I.b consumers (RAD-55) and older viewers call it: the object as
 * stored, or a rendered JPEG/PNG sized by rows/columns and windowed by windowCenter/windowWidth;
 * scoped to the caller's tenant, token in a header or in access_token, every access audited.
 */
class WadoUriTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path tmp;
  static TestImago node;
  static SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(40, 80).withSeed(710);
  static String token;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    HttpResponse<String> stow = node.stow(node.token("demo", Caller.Role.HOSPITAL), null,
        List.of(SyntheticCt.instance(spec, 1, 1, 1), SyntheticCt.instance(spec, 1, 1, 2)));
    assertEquals(200, stow.statusCode(), stow.body());
    token = node.imago.auth().mint("dr.neri", "demo", Caller.Role.RADIOLOGIST, Duration.ofMinutes(10));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static String query(int instance, String extra) {
    return "/wado?requestType=WADO&studyUID=" + SyntheticCt.studyInstanceUid(spec, 1) + "&seriesUID="
        + SyntheticCt.seriesInstanceUid(spec, 1, 1) + "&objectUID=" + SyntheticCt.sopInstanceUid(spec, 1, 1, instance)
        + extra;
  }

  static HttpResponse<byte[]> get(String pathAndQuery, String bearer) throws Exception {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(node.baseUrl() + pathAndQuery)).GET();
    if (bearer != null) rq.header("Authorization", "Bearer " + bearer);
    return HTTP.send(rq.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static BufferedImage image(HttpResponse<byte[]> r) throws Exception {
    assertEquals(200, r.statusCode(), new String(r.body()));
    return ImageIO.read(new ByteArrayInputStream(r.body()));
  }

  @Test
  void applicationDicomIsTheStoredObjectByteForByte() throws Exception {
    HttpResponse<byte[]> r = get(query(1, "&contentType=application/dicom"), token);
    assertEquals(200, r.statusCode(), new String(r.body()));
    assertEquals("application/dicom", r.headers().firstValue("Content-Type").orElse(""));
    StoredInstance stored = node.imago.index().instance("demo", SyntheticCt.sopInstanceUid(spec, 1, 1, 1)).orElseThrow();
    assertArrayEquals(node.object(stored.objectKey()), r.body());
    assertArrayEquals(TestImago.dataset(SyntheticCt.instance(spec, 1, 1, 1)), TestImago.dataset(r.body()));
    assertEquals(200, get(query(1, "&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.1"), token).statusCode());
    assertEquals(406, get(query(1, "&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.50"), token)
        .statusCode(), "Imago does not transcode");
  }

  @Test
  void theDefaultIsAJpegOfTheImageAndRowsColumnsScaleIt() throws Exception {
    HttpResponse<byte[]> jpeg = get(query(2, ""), token);
    assertEquals("image/jpeg", jpeg.headers().firstValue("Content-Type").orElse(""));
    BufferedImage full = image(jpeg);
    assertEquals(80, full.getWidth());
    assertEquals(40, full.getHeight());
    BufferedImage half = image(get(query(2, "&contentType=image/png&rows=20&columns=40"), token));
    assertEquals(40, half.getWidth());
    assertEquals(20, half.getHeight());
    BufferedImage byColumns = image(get(query(2, "&contentType=image/jpeg&columns=160"), token));
    assertEquals(160, byColumns.getWidth(), "columns alone keeps the aspect ratio");
    assertEquals(80, byColumns.getHeight());
    byte[] soft = get(query(2, "&contentType=image/png&windowCenter=40&windowWidth=400"), token).body();
    byte[] lung = get(query(2, "&contentType=image/png&windowCenter=-600&windowWidth=1500"), token).body();
    assertNotEquals(java.util.Arrays.hashCode(soft), java.util.Arrays.hashCode(lung));
    assertEquals(200, get(query(2, "&contentType=image/gif,image/jpeg"), token).statusCode());
  }

  @Test
  void badRequestsUnknownObjectsAndOtherTenantsAreRefused() throws Exception {
    assertEquals(401, get(query(1, ""), null).statusCode());
    assertEquals(200, get(query(1, "&access_token=" + token), null).statusCode(), "RFC 6750 §2.3 query token");
    assertEquals(400, get("/wado?requestType=WADO&studyUID=1.2.3", token).statusCode(), "UIDs are required");
    assertEquals(400, get(query(1, "").replace("requestType=WADO", "requestType=RSS"), token).statusCode());
    assertEquals(400, get(query(1, "&windowCenter=40"), token).statusCode(), "center without width");
    assertEquals(406, get(query(1, "&contentType=video/mpeg"), token).statusCode());
    assertEquals(404, get(query(1, "").replace(SyntheticCt.sopInstanceUid(spec, 1, 1, 1), "1.2.3.4"), token).statusCode());
    HttpResponse<byte[]> other = get(query(1, "&contentType=application/dicom"), node.token("other", Caller.Role.RADIOLOGIST));
    assertEquals(404, other.statusCode(), "another tenant's object is not found, not forbidden");
    assertEquals("application/problem+json", other.headers().firstValue("Content-Type").orElse(""));
  }

  @Test
  void everyRetrieveIsAudited() throws Exception {
    String auditor = node.imago.auth().mint("dr.gialli", "demo", Caller.Role.RADIOLOGIST, Duration.ofMinutes(5));
    assertEquals(200, get(query(1, "&contentType=application/dicom"), auditor).statusCode());
    assertEquals(200, get(query(2, "&contentType=image/jpeg"), auditor).statusCode());
    List<AuditEvent> mine = node.imago.index().auditOfStudy("demo", SyntheticCt.studyInstanceUid(spec, 1)).stream()
        .filter(e -> "dr.gialli".equals(e.subject())).toList();
    assertEquals(2, mine.size(), mine.toString());
    assertTrue(mine.stream().allMatch(e -> e.via().equals("WADO_URI")));
    assertTrue(mine.stream().anyMatch(e -> e.action().equals("retrieve")
        && e.sopUid().equals(SyntheticCt.sopInstanceUid(spec, 1, 1, 1))));
    assertTrue(mine.stream().anyMatch(e -> e.action().equals("rendered")
        && e.sopUid().equals(SyntheticCt.sopInstanceUid(spec, 1, 1, 2))));
  }
}
