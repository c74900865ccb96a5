package imago.node.dimse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Part10;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Tenant;
import imago.core.testkit.Dcmtk;
import imago.core.testkit.PortFinder;
import imago.core.testkit.Storescp;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * C-FIND, C-GET and C-MOVE from dcmtk's findscu, getscu and movescu against studies stored over
 * C-STORE, with a dcmtk storescp as the C-MOVE destination; only the calling AE's tenant is seen.
 */
class QueryRetrieveTest {
  @TempDir static Path tmp;
  static DimseNode node;
  static Storescp storescp;
  static final SyntheticCt.Spec SPEC = SyntheticCt.Spec.of(2, 2, 2).withSize(32, 32).withSeed(4201);
  /** The files sent, by SOP Instance UID. */
  static final Map<String, Path> SENT = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    storescp = Storescp.start(PortFinder.freePort(), "STORESCP", tmp.resolve("storescp"));
    node = DimseNode.start(tmp.resolve("node"), List.of(
        new Tenant.MoveDestination("STORESCP", "127.0.0.1", storescp.port())));
    for (Path f : SyntheticCt.write(SPEC, tmp.resolve("ct"))) {
      SENT.put(Part10.parse(ByteBuffer.wrap(Files.readAllBytes(f))).sopInstanceUid(), f);
    }
    Dcmtk.Result stored = Dcmtk.storescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, List.of(tmp.resolve("ct")));
    assertTrue(stored.ok(), stored.toString());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (storescp != null) storescp.close();
  }

  @Test
  void findscuAtStudyLevelAnswersTheCallingAesTenantOnly() {
    Dcmtk.FindResult demo = Dcmtk.findscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID", "NumberOfStudyRelatedInstances");
    assertTrue(demo.result().ok(), demo.result().toString());
    Map<String, String> instancesByStudy = new HashMap<>();
    for (AttributeList r : demo.responses()) {
      instancesByStudy.put(Attribute.getSingleStringValueOrEmptyString(r, TagFromName.StudyInstanceUID),
          Attribute.getSingleStringValueOrEmptyString(r, TagFromName.NumberOfStudyRelatedInstances));
    }
    assertEquals(Map.of(SyntheticCt.studyInstanceUid(SPEC, 1), "4", SyntheticCt.studyInstanceUid(SPEC, 2), "4"),
        instancesByStudy);
    Dcmtk.FindResult other = Dcmtk.findscu("127.0.0.1", node.port(), "OTHER", DimseNode.AE, "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID");
    assertTrue(other.result().ok(), other.result().toString());
    assertEquals(0, other.responses().size(), "OTHER sees none of demo's studies");
  }

  @Test
  void getscuRetrievesAStudyOnItsOwnAssociationAsStored() throws Exception {
    Path out = tmp.resolve("getscu");
    Dcmtk.Result r = Dcmtk.getscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, out, "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(SPEC, 1));
    assertTrue(r.ok(), r.toString());
    assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.output());
    List<Path> received;
    try (Stream<Path> files = Files.list(out)) {
      received = files.toList();
    }
    Set<String> uids = new HashSet<>();
    for (Path f : received) {
      String name = f.getFileName().toString(); // <modality>.<SOP Instance UID>
      String uid = name.substring(name.indexOf('.') + 1);
      uids.add(uid);
      assertArrayEquals(DimseNode.dataset(Files.readAllBytes(SENT.get(uid))), DimseNode.dataset(Files.readAllBytes(f)), uid);
    }
    assertEquals(uidsOfStudy(1), uids);
  }

  @Test
  void movescuSendsAStudyToAConfiguredStorescp() throws Exception {
    Dcmtk.Result r = Dcmtk.movescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, "STORESCP", "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(SPEC, 2));
    assertTrue(r.ok(), r.toString());
    assertEquals("Success", Dcmtk.retrieveFinalStatus(r.output()), r.output());
    assertTrue(r.output().contains("Pending"), "a pending response after each sub-operation: " + r.output());
    assertTrue(storescp.receivedUids().containsAll(uidsOfStudy(2)), storescp.receivedUids().toString());
  }

  @Test
  void aMoveToAnUnknownDestinationIsRefusedA801() {
    Dcmtk.Result r = Dcmtk.movescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, "NOWHERE", "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(SPEC, 1));
    assertEquals("Refused: MoveDestinationUnknown", Dcmtk.retrieveFinalStatus(r.output()), r.output());
  }

  /** Security: per-AE rights: a modality's AE stores but neither queries nor retrieves the archive. */
  @Test
  void anAeWithTheStoreRightOnlyCannotQueryOrRetrieve() {
    Dcmtk.FindResult find = Dcmtk.findscu("127.0.0.1", node.port(), "DEMO_IN", DimseNode.AE, "-S", "QueryRetrieveLevel=STUDY",
        "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(SPEC, 1));
    assertTrue(find.responses().isEmpty(), "no match for an AE without the query right");
    assertTrue(find.result().output().contains("Status: 0x124"),
        find.result().output());
    Dcmtk.Result move = Dcmtk.movescu("127.0.0.1", node.port(), "DEMO_IN", DimseNode.AE, "STORESCP", "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(SPEC, 1));
    assertTrue(move.output().contains("0x124"), move.output());
  }

  /** Security: a destination belongs to one hospital; another cannot send there, whatever it retrieves. */
  @Test
  void anotherTenantsDestinationIsUnknownToThisOne() {
    Dcmtk.Result r = Dcmtk.movescu("127.0.0.1", node.port(), "OTHER", DimseNode.AE, "STORESCP", "-S",
        "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(SPEC, 1));
    assertEquals("Refused: MoveDestinationUnknown", Dcmtk.retrieveFinalStatus(r.output()), r.output());
  }

  static Set<String> uidsOfStudy(int study) {
    Set<String> uids = new HashSet<>();
    for (int se = 1; se <= SPEC.seriesPerStudy(); se++) {
      for (int in = 1; in <= SPEC.instancesPerSeries(); in++) uids.add(SyntheticCt.sopInstanceUid(SPEC, study, se, in));
    }
    return uids;
  }
}
