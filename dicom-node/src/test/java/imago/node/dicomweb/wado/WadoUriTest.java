package imago.node.dicomweb.wado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.node.dicomweb.DicomWebNode;
import imago.storage.index.AuditEvent;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WADO-URI (PS3.18 §9) on a node serving nothing else: {@code contentType=application/dicom} is
 * the stored object as it is, with the token in a header or in {@code access_token}; a request
 * PS3.18 §9.2 does not allow is 400, and an object the caller may not see is 404.
 */
class WadoUriTest {
  static final SyntheticCt.Spec SPEC = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 24).withSeed(5401);

  @TempDir static Path tmp;
  static DicomWebNode node;
  static String token;
  static byte[] file;

  @BeforeAll
  static void start() throws Exception {
    node = DicomWebNode.start(tmp.resolve("node"), DicomWebNode.Family.WADO_URI);
    file = SyntheticCt.instance(SPEC, 1, 1, 1);
    node.store("demo", file);
    token = node.token("dr.neri", "demo", Caller.Role.RADIOLOGIST);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  static String wado(String extra) {
    return "/wado?requestType=WADO&studyUID=" + SyntheticCt.studyInstanceUid(SPEC, 1) + "&seriesUID="
        + SyntheticCt.seriesInstanceUid(SPEC, 1, 1) + "&objectUID=" + SyntheticCt.sopInstanceUid(SPEC, 1, 1, 1) + extra;
  }

  @Test
  void applicationDicomIsTheStoredObjectByteForByteAndIsAudited() throws Exception {
    HttpResponse<byte[]> r = node.get(wado("&contentType=application/dicom"), token, null);
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    assertEquals("application/dicom", r.headers().firstValue("Content-Type").orElse(""));
    assertArrayEquals(file, r.body());
    HttpResponse<byte[]> byQuery = node.get(wado("&contentType=application/dicom&access_token=" + token), null, null);
    assertEquals(200, byQuery.statusCode(), "RFC 6750 §2.3: the token as a query parameter");
    assertArrayEquals(file, byQuery.body());
    List<AuditEvent> rows = node.index().auditOfStudy("demo", SyntheticCt.studyInstanceUid(SPEC, 1)).stream()
        .filter(e -> e.subject().equals("dr.neri")).toList();
    assertEquals(2, rows.size(), rows.toString());
    assertTrue(rows.stream().allMatch(e -> e.action().equals("retrieve") && e.via().equals("WADO_URI")), rows.toString());
  }

  @Test
  void aRequestPs318DoesNotAllowIs400() throws Exception {
    String study = SyntheticCt.studyInstanceUid(SPEC, 1);
    for (String bad : List.of(wado("").replace("requestType=WADO", "requestType=RSS"),
        wado("").replace("requestType=WADO&", ""), "/wado?requestType=WADO&studyUID=" + study,
        wado("&anonymize=yes"), wado("&windowCenter=40"), wado("&contentType=image/png&rows=zero"))) {
      HttpResponse<byte[]> r = node.get(bad, token, null);
      assertEquals(400, r.statusCode(), bad);
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), bad);
    }
    assertEquals(406, node.get(wado("&contentType=video/mpeg"), token, null).statusCode());
  }

  @Test
  void anObjectTheCallerMayNotSeeIs404AndNoTokenIs401() throws Exception {
    String other = node.token("other", Caller.Role.RADIOLOGIST);
    assertEquals(404, node.get(wado("&contentType=application/dicom"), other, null).statusCode(), "not found, not forbidden");
    assertEquals(404, node.get(wado("&contentType=application/dicom").replace(SyntheticCt.sopInstanceUid(SPEC, 1, 1, 1),
        "1.2.3.4"), token, null).statusCode());
    assertEquals(401, node.get(wado("&contentType=application/dicom"), null, null).statusCode());
  }
}
