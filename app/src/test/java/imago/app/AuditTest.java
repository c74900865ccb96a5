package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 7 for writes: a STOW-RS request and a C-STORE association each leave one row per
 * study, for the storing tenant's copy, which that tenant's audit lists and no other's.
 */
class AuditTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static TestImago node;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
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
}
