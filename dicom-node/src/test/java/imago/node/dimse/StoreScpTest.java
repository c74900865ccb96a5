package imago.node.dimse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Part10;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.storage.index.StoredInstance;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** C-STORE from dcmtk's storescu through the real ingest path: acknowledged means stored and indexed. */
class StoreScpTest {
  @TempDir static Path tmp;
  static DimseNode node;

  @BeforeAll
  static void start() throws Exception {
    node = DimseNode.start(tmp.resolve("node"), List.of());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void everyAcknowledgedInstanceIsStoredAsSentAndIndexedForTheCallingAesTenant() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 2, 2).withSize(32, 32).withSeed(4101);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("ct"));
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, List.of(tmp.resolve("ct")));
    assertTrue(r.ok(), r.toString());
    assertEquals(files.size(), Dcmtk.storescuAcknowledgedUids(r.output()).size(), r.output());
    List<StoredInstance> stored = node.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1));
    assertEquals(files.size(), stored.size());
    for (Path f : files) {
      byte[] sent = Files.readAllBytes(f);
      String sop = Part10.parse(ByteBuffer.wrap(sent)).sopInstanceUid();
      StoredInstance i = node.index().instance("demo", sop).orElseThrow();
      byte[] object = node.object(i.objectKey());
      assertArrayEquals(DimseNode.dataset(sent), DimseNode.dataset(object), "the data set of " + sop + " is stored byte for byte");
      assertEquals(sop, Part10.parse(ByteBuffer.wrap(object)).sopInstanceUid(), "behind File Meta Information of its own");
    }
    assertTrue(node.index().studyInstances("other", SyntheticCt.studyInstanceUid(spec, 1)).isEmpty(),
        "the other tenant does not see demo's study");
  }

  @Test
  void aStoredStudyIsFoundByCFindOnTheSameNode() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 3).withSize(32, 32).withSeed(4102);
    SyntheticCt.write(spec, tmp.resolve("findable"));
    assertTrue(Dcmtk.storescu("127.0.0.1", node.port(), "STORESCU", DimseNode.AE, List.of(tmp.resolve("findable"))).ok());
    Dcmtk.FindResult found = Dcmtk.findscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, "-S",
        "QueryRetrieveLevel=IMAGE", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(spec, 1), "SOPInstanceUID");
    assertTrue(found.result().ok(), found.result().toString());
    Set<String> uids = new HashSet<>();
    for (AttributeList response : found.responses()) {
      uids.add(Attribute.getSingleStringValueOrEmptyString(response, TagFromName.SOPInstanceUID));
    }
    Set<String> expected = new HashSet<>();
    for (int in = 1; in <= 3; in++) expected.add(SyntheticCt.sopInstanceUid(spec, 1, 1, in));
    assertEquals(expected, uids);
  }

  @Test
  void theSameUidWithOtherBytesIsRefusedAndTheStoredInstanceIsKept() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(4103);
    Path file = SyntheticCt.write(spec, tmp.resolve("dup")).get(0);
    assertTrue(Dcmtk.storescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, List.of(file)).ok());
    String sop = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    StoredInstance first = node.index().instance("demo", sop).orElseThrow();
    byte[] changed = Files.readAllBytes(file);
    changed[changed.length - 10] ^= 0x5A; // one pixel differs, same UIDs
    Path other = Files.write(tmp.resolve("dup-changed.dcm"), changed);
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.port(), "DEMO", DimseNode.AE, List.of(other));
    assertTrue(Dcmtk.storescuAcknowledgedUids(r.output()).isEmpty(), r.output());
    assertTrue(r.output().contains("Status: 0x111"), "duplicate SOP instance (0x0111): " + r.output());
    assertEquals(first, node.index().instance("demo", sop).orElseThrow());
  }
}
