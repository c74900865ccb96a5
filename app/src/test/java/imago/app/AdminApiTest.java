package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.storage.index.Scope;
import imago.web.Access;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /admin/shares and /admin/audit: the owning hospital shares a study and sees who accessed it. */
class AdminApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static TestImago node;
  static SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(32, 32).withSeed(600);
  static String study;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    study = SyntheticCt.studyInstanceUid(spec, 1);
    HttpResponse<String> r = node.stow(node.token("demo", Caller.Role.HOSPITAL), null,
        List.of(SyntheticCt.instance(spec, 1, 1, 1), SyntheticCt.instance(spec, 1, 1, 2)));
    assertEquals(200, r.statusCode(), r.body());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (token != null) rq.header("Authorization", "Bearer " + token);
    return node.send(rq.build());
  }

  @Test
  void aShareMakesTheStudyVisibleToTheGranteeUntilRevoked() throws Exception {
    Scope grantee = new Scope("other", "dr.bianchi@other");
    assertTrue(node.imago.index().instances(grantee, study, null, null).isEmpty(), "not shared yet");
    HttpResponse<String> created = call("POST", "/admin/shares", node.token("demo", Caller.Role.HOSPITAL),
        "{\"studyUID\": \"" + study + "\", \"grantee\": \"dr.bianchi@other\", \"ttl\": \"P7D\"}");
    assertEquals(201, created.statusCode(), created.body());
    JsonNode share = JSON.readTree(created.body());
    assertEquals(study, share.get("studyUID").asText());
    assertTrue(Instant.parse(share.get("expiresAt").asText()).isAfter(Instant.now().plusSeconds(6 * 86400)));
    assertEquals(2, node.imago.index().instances(grantee, study, null, null).size());
    assertTrue(node.imago.index().instances(new Scope("other", "someone.else"), study, null, null).isEmpty());
    JsonNode listed = JSON.readTree(call("GET", "/admin/shares?studyUID=" + study, node.token("demo", Caller.Role.ADMIN), null).body());
    assertEquals(share.get("id").asLong(), listed.get(0).get("id").asLong(), listed.toString());
    assertEquals("dr.bianchi@other", listed.get(0).get("grantee").asText());
    String others = call("GET", "/admin/shares", node.token("other", Caller.Role.ADMIN), null).body();
    assertFalse(others.contains(study) || others.contains("dr.bianchi@other"), "another hospital lists none of this one's shares: "
        + others);

    HttpResponse<String> revoked = call("DELETE", "/admin/shares/" + share.get("id").asLong(), node.token("demo", Caller.Role.ADMIN), null);
    assertEquals(204, revoked.statusCode(), revoked.body());
    assertTrue(node.imago.index().instances(grantee, study, null, null).isEmpty(), "revoked at once");
    JsonNode ended = JSON.readTree(call("GET", "/admin/shares", node.token("demo", Caller.Role.HOSPITAL), null).body()).get(0);
    assertFalse(Instant.parse(ended.get("expiresAt").asText()).isAfter(Instant.now()), "listed as ended: " + ended);
    // Security: granting and revoking access are themselves in the study's audit.
    List<String> actions = node.imago.index().auditOfStudy("demo", study).stream().map(e -> e.action()).toList();
    assertTrue(actions.contains("share.grant") && actions.contains("share.revoke"), actions.toString());
  }

  @Test
  void onlyTheOwningHospitalMayShareOrReadTheAudit() throws Exception {
    String body = "{\"studyUID\": \"" + study + "\", \"grantee\": \"x\"}";
    assertEquals(401, call("POST", "/admin/shares", null, body).statusCode());
    assertEquals(403, call("POST", "/admin/shares", node.token("demo", Caller.Role.RADIOLOGIST), body).statusCode());
    HttpResponse<String> otherTenant = call("POST", "/admin/shares", node.token("other", Caller.Role.HOSPITAL), body);
    assertEquals(404, otherTenant.statusCode(), "another tenant's study is not found, not forbidden");
    assertEquals("application/problem+json", otherTenant.headers().firstValue("Content-Type").orElse(""));
    assertEquals(404, call("GET", "/admin/audit?studyUID=" + study, node.token("other", Caller.Role.ADMIN), null).statusCode());
    assertEquals(400, call("POST", "/admin/shares", node.token("demo", Caller.Role.HOSPITAL),
        "{\"studyUID\": \"" + study + "\", \"grantee\": \"x\", \"ttl\": \"P900D\"}").statusCode(), "at most a year");
    assertEquals(400, call("GET", "/admin/audit?since=yesterday", node.token("demo", Caller.Role.ADMIN), null).statusCode());
    assertEquals(400, call("GET", "/admin/audit?limit=5000", node.token("demo", Caller.Role.ADMIN), null).statusCode());
    assertEquals(403, call("GET", "/admin/audit", node.token("demo", Caller.Role.RADIOLOGIST), null).statusCode());
  }

  /**
   * Without a study, the audit lists the hospital's newest accesses, filtered by who, what, when and
   * study; another hospital's admin finds none of them (security: the list is scoped like the study's).
   */
  @Test
  void theAuditSearchListsTheHospitalsAccessesFilteredAndNoOneElses() throws Exception {
    Access access = new Access(node.imago.auth(), node.imago.index());
    access.record(new Caller("dr.bianchi", "demo", Caller.Role.RADIOLOGIST), "wado.retrieve", Access.Via.WADO_RS, "10.4.4.4",
        List.of(new Access.Item(study, null, null)));
    String admin = node.token("demo", Caller.Role.ADMIN);
    JsonNode bySubject = JSON.readTree(call("GET", "/admin/audit?subject=dr.bianchi", admin, null).body());
    assertEquals(1, bySubject.size(), bySubject.toString());
    assertEquals("wado.retrieve", bySubject.get(0).get("action").asText());
    assertEquals(1, JSON.readTree(call("GET", "/admin/audit?subject=dr.bianchi&action=wado.retrieve&studyUID=" + study
        + "&since=" + java.time.LocalDate.now(java.time.ZoneOffset.UTC), admin, null).body()).size());
    assertEquals(0, JSON.readTree(call("GET", "/admin/audit?subject=dr.bianchi&action=link.create", admin, null).body()).size());
    assertEquals(0, JSON.readTree(call("GET", "/admin/audit?subject=dr.bianchi&until=2020-01-01", admin, null).body()).size());
    JsonNode newest = JSON.readTree(call("GET", "/admin/audit?limit=2", admin, null).body());
    assertEquals(2, newest.size());
    assertTrue(Instant.parse(newest.get(0).get("at").asText()).compareTo(Instant.parse(newest.get(1).get("at").asText())) >= 0,
        "newest first: " + newest);
    String others = call("GET", "/admin/audit?limit=1000", node.token("other", Caller.Role.ADMIN), null).body();
    assertFalse(others.contains("dr.bianchi"), others);
    assertFalse(others.contains(study), others);
  }

  @Test
  void theAuditListsEveryRecordedAccessToTheStudy() throws Exception {
    Access access = new Access(node.imago.auth(), node.imago.index());
    access.record(new Caller("dr.rossi", "demo", Caller.Role.RADIOLOGIST), "retrieve", Access.Via.WADO_RS, "10.1.2.3",
        List.of(new Access.Item(study, null, null)));
    HttpResponse<String> r = call("GET", "/admin/audit?studyUID=" + study, node.token("demo", Caller.Role.ADMIN), null);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode rows = JSON.readTree(r.body());
    boolean found = false;
    for (JsonNode row : rows) {
      if ("dr.rossi".equals(row.get("subject").asText())) {
        found = true;
        assertEquals("WADO_RS", row.get("via").asText());
        assertEquals("radiologist", row.get("role").asText());
        assertEquals("10.1.2.3", row.get("remote").asText());
      }
    }
    assertTrue(found, r.body());
    assertFalse(r.body().contains("Rossi^"), "no patient data in the audit listing");
  }

  /**
   * Security: a tenant that stores one instance under another tenant's Study Instance UID reads the
   * audit of its own copy only, never who opened the owner's.
   */
  @Test
  void anotherTenantWithACopyOfTheStudyUidReadsOnlyItsOwnCopysAudit() throws Exception {
    SyntheticCt.Spec copied = spec.withSeed(601);
    String uid = SyntheticCt.studyInstanceUid(copied, 1);
    for (String tenant : List.of("demo", "other")) {
      HttpResponse<String> stored = node.stow(node.token(tenant, Caller.Role.HOSPITAL), null,
          List.of(SyntheticCt.instance(copied, 1, 1, 1)));
      assertEquals(200, stored.statusCode(), stored.body());
    }
    Access access = new Access(node.imago.auth(), node.imago.index());
    access.record(new Caller("dr.verdi@demo", "demo", Caller.Role.RADIOLOGIST), "retrieve", Access.Via.WADO_RS, "10.9.9.9",
        List.of(new Access.Item(uid, null, null)));
    // The attacker also shares its copy with the person whose accesses it wants to read.
    assertEquals(201, call("POST", "/admin/shares", node.token("other", Caller.Role.HOSPITAL),
        "{\"studyUID\": \"" + uid + "\", \"grantee\": \"dr.verdi@demo\", \"ttl\": \"P1D\"}").statusCode());
    HttpResponse<String> r = call("GET", "/admin/audit?studyUID=" + uid, node.token("other", Caller.Role.HOSPITAL), null);
    assertEquals(200, r.statusCode(), r.body());
    assertFalse(r.body().contains("dr.verdi@demo"), r.body());
    for (JsonNode row : JSON.readTree(r.body())) assertEquals("other", row.get("tenant").asText(), r.body());
    // The grantee's accesses to the copy it was shared are the owner's to see.
    Access granteeSide = new Access(node.imago.auth(), node.imago.index());
    granteeSide.record(new Caller("dr.verdi@demo", "demo", Caller.Role.RADIOLOGIST), "retrieve", Access.Via.WADO_RS, "10.9.9.8",
        List.of(new Access.Item(uid, null, null, "other")));
    assertTrue(call("GET", "/admin/audit?studyUID=" + uid, node.token("other", Caller.Role.HOSPITAL), null).body()
        .contains("10.9.9.8"), "the owner sees its grantee's access to its copy");
    HttpResponse<String> mine = call("GET", "/admin/audit?studyUID=" + uid, node.token("demo", Caller.Role.HOSPITAL), null);
    assertTrue(mine.body().contains("dr.verdi@demo"), mine.body());
    HttpResponse<String> again = call("GET", "/admin/audit?studyUID=" + uid, node.token("demo", Caller.Role.HOSPITAL), null);
    assertTrue(again.body().contains("audit.read"), "reading the audit is itself audited: " + again.body());
  }
}
