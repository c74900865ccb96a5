package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import imago.storage.testkit.SyslogReceiver;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 7 for writes, and the audit export as configured: a STOW-RS request and a C-STORE
 * association each leave one row per study, for the storing tenant's copy, which that tenant's
 * audit lists and no other's; and every row also leaves as a DICOM Audit Message to syslog.
 */
class AuditTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static SyslogReceiver syslog;
  static TestImago node;

  @BeforeAll
  static void start() throws Exception {
    syslog = SyslogReceiver.udp();
    node = TestImago.start(tmp.resolve("data"), Map.of("audit.syslog.transport", "udp", "audit.syslog.host", "127.0.0.1",
        "audit.syslog.port", Integer.toString(syslog.port()), "audit.syslog.pollInterval", "PT0.05S"));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    syslog.close();
  }

  private static HttpResponse<String> audit(String tenant, String study) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/admin/audit?studyUID=" + study))
        .header("Authorization", "Bearer " + node.token(tenant, Caller.Role.ADMIN)).build());
  }

  /** The study's write rows in {@code tenant}'s audit. */
  private static List<JsonNode> writes(String tenant, String study) throws Exception {
    HttpResponse<String> r = audit(tenant, study);
    assertEquals(200, r.statusCode(), r.body());
    List<JsonNode> rows = new ArrayList<>();
    for (JsonNode row : JSON.readTree(r.body())) if ("store".equals(row.get("action").asText())) rows.add(row);
    return rows;
  }

  @Test
  void aStowLeavesOneRowPerStudyForTheStoringTenantsCopyOnly() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 3).withSize(32, 32).withSeed(720);
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    HttpResponse<String> stored = node.stow(node.token("demo", Caller.Role.HOSPITAL), null, List.of(
        SyntheticCt.instance(spec, 1, 1, 1), SyntheticCt.instance(spec, 1, 1, 2), SyntheticCt.instance(spec, 1, 1, 3)));
    assertEquals(200, stored.statusCode(), stored.body());

    List<JsonNode> rows = writes("demo", study);
    assertEquals(1, rows.size(), "one row for the study, not one per instance: " + rows);
    assertEquals("test", rows.get(0).get("subject").asText(), "the token's principal");
    assertEquals("STOW_RS", rows.get(0).get("via").asText());
    assertEquals("hospital", rows.get(0).get("role").asText());
    assertEquals("127.0.0.1", rows.get(0).get("remote").asText());
    assertEquals(404, audit("other", study).statusCode(), "another tenant has no copy, so no audit of it");

    // Another tenant stores its own copy under the same Study Instance UID: each audit lists its own write.
    HttpResponse<String> copy = node.stow(node.token("other", Caller.Role.HOSPITAL), null, List.of(SyntheticCt.instance(spec, 1, 1, 1)));
    assertEquals(200, copy.statusCode(), copy.body());
    List<JsonNode> others = writes("other", study);
    assertEquals(1, others.size(), others.toString());
    assertEquals("other", others.get(0).get("tenant").asText());
    assertEquals(1, writes("demo", study).size(), "the other tenant's write is not in demo's audit");
  }

  @Test
  void aCStoreAssociationLeavesOneRowPerStudyNamingTheCallingAeAndItsAddress() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(2, 1, 3).withSize(32, 32).withSeed(721);
    SyntheticCt.write(spec, tmp.resolve("cstore"));
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(tmp.resolve("cstore")));
    assertTrue(r.ok(), r.toString());
    assertEquals(6, Dcmtk.storescuAcknowledgedUids(r.output()).size(), r.output());

    for (int s = 1; s <= 2; s++) {
      String study = SyntheticCt.studyInstanceUid(spec, s);
      List<JsonNode> rows = writes("demo", study);
      assertEquals(1, rows.size(), "one row per study per association: " + rows);
      assertEquals("ae:DEMO", rows.get(0).get("subject").asText());
      assertEquals("C_STORE", rows.get(0).get("via").asText());
      assertEquals("127.0.0.1", rows.get(0).get("remote").asText());
      assertEquals(404, audit("other", study).statusCode());
    }
  }

  @Test
  void everyRowAlsoLeavesAsADicomAuditMessageToSyslog() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(722);
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    assertEquals(200, node.stow(node.token("demo", Caller.Role.HOSPITAL), null, List.of(SyntheticCt.instance(spec, 1, 1, 1)))
        .statusCode());
    assertEquals(200, audit("demo", study).statusCode()); // reading the audit is itself recorded

    SyslogReceiver.Message stored = message(study, "110104");
    assertEquals("C", stored.xpath("/AuditMessage/EventIdentification/@EventActionCode"));
    assertEquals("test", stored.xpath("/AuditMessage/ActiveParticipant[@UserIsRequestor='true']/@UserID"));
    assertEquals("IMAGO", stored.xpath("/AuditMessage/AuditSourceIdentification/@AuditSourceID"), "node.aeTitle");
    assertEquals("demo", stored.xpath("/AuditMessage/AuditSourceIdentification/@AuditEnterpriseSiteID"));
    message(study, "110101"); // Audit Log Used
    assertEquals(List.of(), syslog.malformed());
  }

  private static SyslogReceiver.Message message(String study, String eventId) throws InterruptedException {
    return eventually(Duration.ofSeconds(30), "a " + eventId + " message for " + study, () -> syslog.messages().stream()
        .filter(m -> study.equals(m.xpath("/AuditMessage/ParticipantObjectIdentification/@ParticipantObjectID"))
            && eventId.equals(m.xpath("/AuditMessage/EventIdentification/EventID/@csd-code")))
        .findFirst().orElse(null), m -> m != null);
  }
}
