package imago.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.core.testkit.Orthanc;
import imago.core.testkit.PortFinder;
import imago.core.testkit.Storescp;
import imago.storage.index.AuditEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * C-MOVE and C-GET from dcmtk's movescu and getscu: instances go, as stored, to a configured
 * destination (a dcmtk storescp; Debian's Orthanc) or back on the requester's association, with
 * pending responses and a final status; only the calling AE's tenant is visible; each instance
 * sent is audited.
 */
class CMoveGetTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static TestImago node;
  static Storescp storescp;
  static Orthanc orthanc;
  static SyntheticCt.Spec spec = SyntheticCt.Spec.of(3, 2, 3).withSize(32, 32).withSeed(720);
  static final Map<String, Path> files = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    storescp = Storescp.start(PortFinder.freePort(), "STORESCP", tmp.resolve("storescp"));
    orthanc = Orthanc.start(tmp.resolve("orthanc"), "ORTHANC");
    String destinations = String.format("[{aeTitle: STORESCP, host: 127.0.0.1, port: %d},"
        + " {aeTitle: ORTHANC, host: 127.0.0.1, port: %d}, {aeTitle: DOWN, host: 127.0.0.1, port: %d}]",
        storescp.port(), orthanc.dicomPort(), PortFinder.freePort());
    // The destinations are demo's: tenant other has none (a destination belongs to one hospital).
    node = TestImago.start(tmp.resolve("data"), Map.of("tenants", "[{id: demo, name: Demo, aeTitles: [DEMO, STORESCU], "
        + "moveDestinations: " + destinations + "}, {id: other, name: Other hospital, aeTitles: [OTHER]}]"));
    for (Path f : SyntheticCt.write(spec, tmp.resolve("ct"))) {
      String rel = tmp.resolve("ct").relativize(f).toString(); // study/series/instance.dcm
      String[] p = rel.replace(".dcm", "").split("/");
      files.put(SyntheticCt.sopInstanceUid(spec, Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])), f);
    }
    Dcmtk.Result stored = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(tmp.resolve("ct")));
    assertTrue(stored.ok(), stored.toString());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (storescp != null) storescp.close();
    if (orthanc != null) orthanc.close();
  }

  static Set<String> uidsOf(int study) {
    return uidsOf(study, 0);
  }

  /** SOP Instance UIDs of one study, or of one of its series (series > 0). */
  static Set<String> uidsOf(int study, int series) {
    Set<String> uids = new HashSet<>();
    for (int se = 1; se <= spec.seriesPerStudy(); se++) {
      if (series > 0 && se != series) continue;
      for (int in = 1; in <= spec.instancesPerSeries(); in++) uids.add(SyntheticCt.sopInstanceUid(spec, study, se, in));
    }
    return uids;
  }

  static Dcmtk.Result move(String callingAe, String destination, String... keys) {
    return Dcmtk.movescu("127.0.0.1", node.dicomPort(), callingAe, "IMAGO", destination, "-S", keys);
  }

  static String studyKey(int study) {
    return "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(spec, study);
  }

  @Test
  void movescuMovesAStudyToAStorescpDestinationAsStored() throws Exception {
    Dcmtk.Result r = move("DEMO", "STORESCP", "QueryRetrieveLevel=STUDY", studyKey(1));
    assertTrue(r.ok(), r.toString());
    assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.output());
    assertTrue(r.output().contains("Pending"), "pending responses carry the counts: " + r.output());
    assertTrue(storescp.receivedUids().containsAll(uidsOf(1)), storescp.receivedUids().toString());
    for (String uid : uidsOf(1)) {
      Path received = Files.list(storescp.outputDir()).filter(f -> f.getFileName().toString().endsWith("." + uid))
          .findFirst().orElseThrow();
      assertArrayEquals(TestImago.dataset(Files.readAllBytes(files.get(uid))), TestImago.dataset(Files.readAllBytes(received)),
          "data set of " + uid + " arrives as stored");
    }
  }

  @Test
  void seriesAndImageLevelsMoveWhatTheyName() throws Exception {
    Dcmtk.Result series = move("DEMO", "STORESCP", "QueryRetrieveLevel=SERIES", studyKey(2),
        "SeriesInstanceUID=" + SyntheticCt.seriesInstanceUid(spec, 2, 2));
    assertEquals("Success", Dcmtk.retrieveFinalStatus(series.output()), series.output());
    assertTrue(storescp.receivedUids().containsAll(uidsOf(2, 2)));
    assertEquals(2, series.output().lines().filter(l -> l.matches("I: Received Move Response \\d+ \\(Pending\\)")).count(),
        "a pending response after each sub-operation but the last: " + series.output());
    String sop = SyntheticCt.sopInstanceUid(spec, 2, 1, 3);
    // relational: the SOP Instance UID alone, no study or series key
    Dcmtk.Result image = move("DEMO", "STORESCP", "QueryRetrieveLevel=IMAGE", "SOPInstanceUID=" + sop);
    assertEquals("Success", Dcmtk.retrieveFinalStatus(image.output()), image.output());
    assertTrue(storescp.receivedUids().contains(sop));
  }

  @Test
  void patientRootMovesEveryStudyOfThePatient() throws Exception {
    Dcmtk.Result r = Dcmtk.movescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", "STORESCP", "-P",
        "QueryRetrieveLevel=PATIENT", "PatientID=" + SyntheticCt.patientId(spec, 3));
    assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.output());
    assertTrue(storescp.receivedUids().containsAll(uidsOf(3)), storescp.receivedUids().toString());
  }

  @Test
  void anUnknownDestinationIsRefusedWithA801AndAnUnreachableOneFailsEverySubOperation() {
    Dcmtk.Result unknown = move("DEMO", "NOWHERE", "QueryRetrieveLevel=STUDY", studyKey(1));
    assertEquals("Refused: MoveDestinationUnknown", Dcmtk.retrieveFinalStatus(unknown.output()), unknown.output());
    Dcmtk.Result down = move("DEMO", "DOWN", "QueryRetrieveLevel=STUDY", studyKey(1));
    assertEquals("Refused: OutOfResourcesSubOperations", Dcmtk.retrieveFinalStatus(down.output()), down.output());
  }

  @Test
  void callingAeOtherCannotMoveDemosStudy() throws Exception {
    Set<String> before = storescp.receivedUids();
    Dcmtk.Result r = move("OTHER", "STORESCP", "QueryRetrieveLevel=STUDY", studyKey(3));
    // Security: STORESCP is demo's destination; another hospital cannot send anything there.
    assertEquals("Refused: MoveDestinationUnknown", Dcmtk.retrieveFinalStatus(r.output()), r.output());
    Set<String> after = storescp.receivedUids();
    after.removeAll(before);
    assertTrue(after.isEmpty(), "OTHER's move sent " + after);
    assertTrue(node.imago.index().auditOfStudy(null, SyntheticCt.studyInstanceUid(spec, 3)).stream()
        .noneMatch(e -> "other".equals(e.tenantId())));
  }

  @Test
  void getscuRetrievesTheStudyOnItsOwnAssociation() throws Exception {
    Path out = tmp.resolve("getscu");
    Dcmtk.Result r = Dcmtk.getscu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", out, "-S", "QueryRetrieveLevel=STUDY",
        studyKey(2));
    assertTrue(r.ok(), r.toString());
    assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.output());
    Map<String, Path> received;
    try (var list = Files.list(out)) {
      received = list.collect(Collectors.toMap(f -> f.getFileName().toString().substring(
          f.getFileName().toString().indexOf('.') + 1), f -> f));
    }
    assertEquals(uidsOf(2), received.keySet());
    for (var e : received.entrySet()) {
      assertArrayEquals(TestImago.dataset(Files.readAllBytes(files.get(e.getKey()))), TestImago.dataset(Files.readAllBytes(e.getValue())));
    }
    Dcmtk.Result other = Dcmtk.getscu("127.0.0.1", node.dicomPort(), "OTHER", "IMAGO", tmp.resolve("getscu-other"), "-S",
        "QueryRetrieveLevel=STUDY", studyKey(2));
    assertEquals("Success", Dcmtk.retrieveFinalStatus(other.output()), other.output());
    try (var list = Files.list(tmp.resolve("getscu-other"))) {
      assertEquals(0, list.count(), "OTHER gets nothing of demo's");
    }
  }

  @Test
  void orthancAsAMoveDestinationReceivesTheStudy() throws Exception {
    Dcmtk.Result r = move("DEMO", "ORTHANC", "QueryRetrieveLevel=STUDY", studyKey(1));
    assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.output() + orthanc.output());
    JsonNode instances = JSON.readTree(orthanc.get("/instances?expand").body());
    Set<String> inOrthanc = new HashSet<>();
    for (JsonNode i : instances) inOrthanc.add(i.path("MainDicomTags").path("SOPInstanceUID").asText());
    assertTrue(inOrthanc.containsAll(uidsOf(1)), inOrthanc.toString());
    String anyId = instances.get(0).path("ID").asText();
    String sop = instances.get(0).path("MainDicomTags").path("SOPInstanceUID").asText();
    assertArrayEquals(TestImago.dataset(Files.readAllBytes(files.get(sop))),
        TestImago.dataset(orthanc.getBytes("/instances/" + anyId + "/file")), "Orthanc holds the bytes as stored");
  }

  @Test
  void everyInstanceSentIsAudited() throws Exception {
    assertTrue(move("STORESCU", "STORESCP", "QueryRetrieveLevel=SERIES", studyKey(3),
        "SeriesInstanceUID=" + SyntheticCt.seriesInstanceUid(spec, 3, 1)).ok());
    Dcmtk.getscu("127.0.0.1", node.dicomPort(), "STORESCU", "IMAGO", tmp.resolve("getscu-audit"), "-S",
        "QueryRetrieveLevel=SERIES", studyKey(3), "SeriesInstanceUID=" + SyntheticCt.seriesInstanceUid(spec, 3, 2));
    List<AuditEvent> rows = node.imago.index().auditOfStudy("demo", SyntheticCt.studyInstanceUid(spec, 3)).stream()
        .filter(e -> "ae:STORESCU".equals(e.subject())).toList();
    assertEquals(3, rows.stream().filter(e -> e.via().equals("C_MOVE")).count(), rows.toString());
    assertEquals(3, rows.stream().filter(e -> e.via().equals("C_GET")).count(), rows.toString());
    assertTrue(rows.stream().allMatch(e -> e.tenantId().equals("demo") && e.sopUid() != null));
  }
}
