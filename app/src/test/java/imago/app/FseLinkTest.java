package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import imago.links.CapabilityToken;
import imago.storage.links.Link;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** FSE links: create, open (scoped DICOMweb, viewer), revoke, expire, audit; IID. */
class FseLinkTest {
  @TempDir static Path tmp;
  static TestImago imago;
  static String hospital;
  static PhantomStudy study;
  static PhantomStudy other;
  static ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    imago = TestImago.start(tmp.resolve("data"));
    hospital = imago.token("demo", Caller.Role.HOSPITAL);
    study = PhantomStudy.write(tmp.resolve("a"), "PH-L1");
    other = PhantomStudy.write(tmp.resolve("b"), "PH-L2");
    List<Path> files = new java.util.ArrayList<>(study.files);
    files.addAll(other.files);
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", files).ok());
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    if (imago != null) imago.close();
  }

  static HttpResponse<String> call(String method, String path, String token, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(imago.baseUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) b.header("Authorization", "Bearer " + token);
    if (body != null) b.header("Content-Type", "application/json");
    return imago.send(b.build());
  }

  static JsonObject create(JsonObject body) throws Exception {
    HttpResponse<String> r = call("POST", "/fse/links", hospital, body);
    assertEquals(201, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  static String tokenOf(JsonObject link) {
    return link.getString("token");
  }

  @Test
  void aLinkOpensItsStudyOnlyThroughScopedDicomwebAndTheViewer() throws Exception {
    JsonObject link = create(new JsonObject().put("studyUID", study.studyUid).put("rights", new JsonArray().add("view")));
    String token = tokenOf(link);
    assertTrue(CapabilityToken.wellFormed(token), token);
    assertTrue(link.getString("url").endsWith("/l/" + token));
    // Stored hashed only.
    Link stored = imago.imago.storage().links().find("demo", link.getLong("id")).orElseThrow();
    assertEquals(CapabilityToken.sha256(token), stored.tokenSha256());
    assertFalse(call("GET", "/fse/links?studyUID=" + study.studyUid, hospital, null).body().contains(token));

    String base = "/l/" + token + "/dicomweb";
    JsonArray studies = new JsonArray(call("GET", base + "/studies", null, null).body());
    assertEquals(1, studies.size());
    assertTrue(studies.encode().contains(study.studyUid));
    // Asking for another study in a search still answers only the link's.
    JsonArray forced = new JsonArray(call("GET", base + "/studies?StudyInstanceUID=" + other.studyUid, null, null).body());
    assertEquals(1, forced.size());
    assertFalse(forced.encode().contains(other.studyUid));
    assertEquals(200, call("GET", base + "/studies/" + study.studyUid + "/series", null, null).statusCode());
    assertEquals(200, call("GET", base + "/studies/" + study.studyUid + "/metadata", null, null).statusCode());
    assertEquals(403, call("GET", base + "/studies/" + other.studyUid + "/series", null, null).statusCode());
    // STOW is not there.
    assertEquals(404, call("POST", base + "/studies", null, new JsonObject()).statusCode());

    HttpResponse<String> viewer = call("GET", "/l/" + token + "/", null, null);
    assertEquals(302, viewer.statusCode());
    assertEquals("/viewer/viewer?StudyInstanceUIDs=" + study.studyUid + "#link=" + token,
        viewer.headers().firstValue("Location").orElse(""));

    // Each use is audited under the link's id.
    JsonArray audit = new JsonArray(call("GET", "/admin/audit?studyUID=" + study.studyUid, hospital, null).body());
    assertTrue(audit.stream().anyMatch(o -> ("link:" + link.getLong("id")).equals(((JsonObject) o).getString("subject"))),
        audit.encodePrettily());
    // Security: the viewer's redirect left only once its row was written (no fire-and-forget audit).
    assertTrue(audit.stream().anyMatch(o -> "link.viewer".equals(((JsonObject) o).getString("action"))), audit.encodePrettily());
    // Tokens never appear in logs.
    assertTrue(logs.list.stream().noneMatch(e -> e.getFormattedMessage().contains(token)), "a token was logged");
  }

  @Test
  void theKosListsTheStudyAndTheDownloadIsAZipWithADicomdir() throws Exception {
    JsonObject viewOnly = create(new JsonObject().put("studyUID", study.studyUid));
    assertEquals(403, call("GET", "/l/" + tokenOf(viewOnly) + "/download", null, null).statusCode());
    HttpResponse<byte[]> kos = imago.http().send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/l/"
        + tokenOf(viewOnly) + "/kos")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, kos.statusCode());
    assertEquals("application/dicom", kos.headers().firstValue("Content-Type").orElse(""));
    Path kosFile = java.nio.file.Files.write(tmp.resolve("manifest.dcm"), kos.body());
    Dcmtk.Result verify = Dcmtk.dciodvfy(kosFile);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(verify.output()), verify.output());
    String dump = Dcmtk.dcmdump(kosFile, "+L").output();
    for (String sop : study.sopInstanceUids) assertTrue(dump.contains(sop), "the KOS lists " + sop);
    // Security: a KOS travels through XDS-I registries across the region; it names Imago's authenticated
    // DICOMweb, never the capability token, which would open the study to whoever reads the manifest.
    assertTrue(dump.contains(imago.baseUrl() + "/dicomweb/studies/" + study.studyUid), "Retrieve URL: " + dump);
    assertFalse(new String(kos.body(), java.nio.charset.StandardCharsets.ISO_8859_1).contains(tokenOf(viewOnly)),
        "the token is not in the KOS");

    JsonObject download = create(new JsonObject().put("studyUID", study.studyUid)
        .put("rights", new JsonArray().add("view").add("download")));
    assertTrue(download.getJsonObject("links").containsKey("download"));
    HttpResponse<java.io.InputStream> zip = imago.http().send(HttpRequest.newBuilder(URI.create(download.getJsonObject("links")
        .getString("download"))).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, zip.statusCode());
    Path dir = java.nio.file.Files.createDirectories(tmp.resolve("unzipped"));
    int files = 0;
    try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(zip.body())) {
      for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
        Path f = dir.resolve(e.getName());
        java.nio.file.Files.createDirectories(f.getParent());
        java.nio.file.Files.copy(in, f);
        files++;
      }
    }
    assertEquals(study.files.size() + 2, files, "README.TXT, the instances, DICOMDIR");
    Dcmtk.Result dicomdir = Dcmtk.dcmdump(dir.resolve("DICOMDIR"));
    assertTrue(dicomdir.ok(), dicomdir.output());
    Map<String, String> listed = new com.pixelmed.dicom.DicomDirectory(new com.pixelmed.dicom.AttributeList() {
      {
        read(dir.resolve("DICOMDIR").toString());
      }
    }).getMapOfSOPInstanceUIDToReferencedFileName(dir.toString());
    assertEquals(new java.util.HashSet<>(study.sopInstanceUids), listed.keySet());
    for (String file : listed.values()) assertTrue(Dcmtk.dcmdump(Path.of(file)).ok(), file);
  }

  @Test
  void aLinkIsFoundByAccessionNumberAndPatientId() throws Exception {
    JsonObject link = create(new JsonObject().put("accessionNumber", "ACCPH-L2").put("patientID", "PH-L2"));
    assertEquals(other.studyUid, link.getString("studyUID"));
    assertEquals(404, call("POST", "/fse/links", hospital,
        new JsonObject().put("accessionNumber", "NOPE").put("patientID", "PH-L2")).statusCode());
  }

  @Test
  void tamperedRevokedExpiredAndForeignLinksAreRefused() throws Exception {
    JsonObject link = create(new JsonObject().put("studyUID", study.studyUid));
    String token = tokenOf(link);
    char c = token.charAt(10);
    String tampered = token.substring(0, 10) + (c == 'A' ? 'B' : 'A') + token.substring(11);
    assertEquals(404, call("GET", "/l/" + tampered + "/dicomweb/studies", null, null).statusCode());
    assertEquals(404, call("GET", "/l/not-a-token/dicomweb/studies", null, null).statusCode());

    assertEquals(204, call("DELETE", "/fse/links/" + link.getLong("id"), hospital, null).statusCode());
    HttpResponse<String> revoked = call("GET", "/l/" + token + "/dicomweb/studies", null, null);
    assertEquals(401, revoked.statusCode());
    assertTrue(revoked.body().contains("link-revoked"), revoked.body());
    // Security: issuing and revoking a link are recorded in the study's audit, like opening one.
    String audit = call("GET", "/admin/audit?studyUID=" + study.studyUid, hospital, null).body();
    assertTrue(audit.contains("\"link.create\"") && audit.contains("\"link.revoke\""), audit);

    JsonObject soon = create(new JsonObject().put("studyUID", study.studyUid)
        .put("expiresAt", Instant.now().plusSeconds(2).toString()));
    assertEquals(200, call("GET", "/l/" + tokenOf(soon) + "/dicomweb/studies", null, null).statusCode());
    imago.clock.advance(Duration.ofSeconds(3));
    HttpResponse<String> expired = call("GET", "/l/" + tokenOf(soon) + "/dicomweb/studies", null, null);
    assertEquals(401, expired.statusCode());
    assertTrue(expired.body().contains("link-expired"), expired.body());

    // Another tenant can neither link nor revoke demo's studies; a radiologist cannot make links.
    String otherHospital = imago.token("other", Caller.Role.HOSPITAL);
    assertEquals(404, call("POST", "/fse/links", otherHospital, new JsonObject().put("studyUID", study.studyUid)).statusCode());
    assertEquals(404, call("DELETE", "/fse/links/" + soon.getLong("id"), otherHospital, null).statusCode());
    assertEquals(403, call("POST", "/fse/links", imago.token("demo", Caller.Role.RADIOLOGIST),
        new JsonObject().put("studyUID", study.studyUid)).statusCode());
    // Limits: at most links.maxTtl; a link asked for without a lifetime lives weeks, not years (security).
    HttpResponse<String> tooLong = call("POST", "/fse/links", hospital, new JsonObject().put("studyUID", study.studyUid)
        .put("ttl", "P400D"));
    assertEquals(400, tooLong.statusCode());
    assertTrue(tooLong.body().contains("links.maxTtl"), tooLong.body());
    JsonObject plain = new JsonObject(call("POST", "/fse/links", hospital, new JsonObject().put("studyUID", study.studyUid)).body());
    assertTrue(Instant.parse(plain.getString("expiresAt")).isBefore(Instant.now().plus(java.time.Duration.ofDays(31))),
        plain.encode());
    // Security: a link made before links.maxTtl was lowered (here: with a 10-year expiry) ends when
    // the maximum says, not when its own expiry does.
    String legacy = CapabilityToken.generate();
    imago.imago.storage().links().create(CapabilityToken.sha256(legacy), "demo", study.studyUid, java.util.EnumSet.of(Link.Right.VIEW), "hospital@demo", Instant.now().plus(Duration.ofDays(3650)));
    assertEquals(200, call("GET", "/l/" + legacy + "/dicomweb/studies", null, null).statusCode());
    imago.clock.advance(Duration.ofDays(366));
    try {
      HttpResponse<String> tooOld = call("GET", "/l/" + legacy + "/dicomweb/studies", null, null);
      assertEquals(401, tooOld.statusCode(), tooOld.body());
      assertTrue(tooOld.body().contains("links.maxTtl"), tooOld.body());
    } finally {
      imago.clock.advance(Duration.ofDays(-366)); // the other tests of this class make links now
    }
  }

  @Test
  void iidOpensTheViewerOnAStudyOrAPatient() throws Exception {
    HttpResponse<String> s = call("GET", "/IHEInvokeImageDisplay?requestType=STUDY&studyUID=" + study.studyUid, null, null);
    assertEquals(302, s.statusCode());
    assertEquals("/viewer/viewer?StudyInstanceUIDs=" + study.studyUid, s.headers().firstValue("Location").orElse(""));
    HttpResponse<String> p = call("GET", "/IHEInvokeImageDisplay?requestType=PATIENT&patientID=PH-L1", null, null);
    assertEquals("/viewer/?mrn=PH-L1", p.headers().firstValue("Location").orElse(""));
    assertEquals(400, call("GET", "/IHEInvokeImageDisplay?requestType=SERIES", null, null).statusCode());
  }

}
