package imago.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.Part10;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.storage.index.Index;
import imago.storage.index.StoredInstance;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** C-ECHO and C-STORE from dcmtk, the real peer hospitals use, into a real Imago. */
class StoreScpTest {
  @TempDir static Path tmp;
  static TestImago node;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void echoSucceedsForAKnownCallingAe() {
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO");
    assertTrue(r.ok(), r.toString());
  }

  @Test
  void unknownCallingAeIsRejectedAtAssociationTime() {
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.dicomPort(), "STRANGER", "IMAGO");
    assertFalse(r.ok());
    assertTrue(r.output().contains("Calling AE Title Not Recognized"), r.output());
  }

  @Test
  void wrongCalledAeIsRejectedAtAssociationTime() {
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.dicomPort(), "DEMO", "NOTIMAGO");
    assertFalse(r.ok());
    assertTrue(r.output().contains("Called AE Title Not Recognized"), r.output());
  }

  @Test
  void storescuPushesAMultiStudySetAndEveryInstanceIsInS3ByteIdenticalAndIndexed() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(3, 2, 4).withSize(64, 64).withSeed(11);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("multi"));
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "STORESCU", "IMAGO", List.of(tmp.resolve("multi")));
    assertTrue(r.ok(), r.toString());
    assertEquals(files.size(), Dcmtk.storescuAcknowledgedUids(r.output()).size());
    Index index = node.imago.index();
    int found = 0;
    for (int study = 1; study <= 3; study++) {
      List<StoredInstance> instances = index.studyInstances("demo", SyntheticCt.studyInstanceUid(spec, study));
      assertEquals(8, instances.size());
      for (StoredInstance i : instances) {
        Path original = tmp.resolve("multi").resolve(Integer.toString(study));
        byte[] stored = node.object(i.objectKey());
        // C-STORE carries the data set; Imago stores it byte for byte behind its own meta header
        byte[] storedDataset = TestImago.dataset(stored);
        byte[] sent = TestImago.dataset(Files.readAllBytes(findFile(files, i.sopInstanceUid())));
        assertArrayEquals(sent, storedDataset, "data set of " + i.sopInstanceUid());
        Part10.Header h = Part10.parse(ByteBuffer.wrap(stored));
        assertEquals(i.sopInstanceUid(), h.sopInstanceUid());
        assertEquals(i.transferSyntaxUid(), h.transferSyntaxUid());
        assertTrue(Files.isDirectory(original));
        found++;
      }
    }
    assertEquals(files.size(), found);
  }

  @Test
  void sameInstanceTwiceIsIdempotentAndDifferentBytesAreRejectedAndAudited() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(21);
    Path file = SyntheticCt.write(spec, tmp.resolve("dup")).get(0);
    assertTrue(Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(file)).ok());
    assertTrue(Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(file)).ok(), "re-send is a success");
    String sop = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    StoredInstance first = node.imago.index().instance("demo", sop).orElseThrow();

    byte[] changed = Files.readAllBytes(file);
    changed[changed.length - 10] ^= 0x5A; // one pixel differs, same UIDs
    Path other = Files.write(tmp.resolve("dup-changed.dcm"), changed);
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(other));
    assertTrue(r.output().contains("Status: 0x111"), r.output());

    StoredInstance after = node.imago.index().instance("demo", sop).orElseThrow();
    assertEquals(first, after, "the acknowledged instance is untouched");
    assertArrayEquals(TestImago.dataset(Files.readAllBytes(file)), TestImago.dataset(node.object(after.objectKey())));
    List<Index.Conflict> conflicts = node.imago.index().conflicts("demo", sop);
    assertEquals(1, conflicts.size());
    assertEquals("rejected", conflicts.get(0).outcome());
  }

  @Test
  void privateSopClassesAreStored() throws Exception {
    Path file = SyntheticCt.writePrivateSopClassInstance(tmp.resolve("private"), 5);
    String[] profile = Dcmtk.storescuProfileFor(tmp.resolve("private-cfg"), SyntheticCt.PRIVATE_SOP_CLASS);
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", List.of(file), profile);
    assertTrue(r.ok(), r.toString());
    String sop = Dcmtk.storescuAcknowledgedUids(r.output()).iterator().next();
    assertEquals(SyntheticCt.PRIVATE_SOP_CLASS, node.imago.index().instance("demo", sop).orElseThrow().sopClassUid());
  }

  @Test
  void twentyConcurrentAssociationsAllSucceed() throws Exception {
    List<List<Path>> sets = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 3).withSize(32, 32).withSeed(1000 + i);
      sets.add(SyntheticCt.write(spec, tmp.resolve("concurrent-" + i)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(20);
    List<Future<Dcmtk.Result>> results = new ArrayList<>();
    for (List<Path> set : sets) {
      results.add(pool.submit(() -> Dcmtk.storescu("127.0.0.1", node.dicomPort(), "STORESCU", "IMAGO", set)));
    }
    int acknowledged = 0;
    for (Future<Dcmtk.Result> f : results) {
      Dcmtk.Result r = f.get();
      assertTrue(r.ok(), r.toString());
      acknowledged += Dcmtk.storescuAcknowledgedUids(r.output()).size();
    }
    pool.shutdown();
    assertEquals(60, acknowledged);
    for (int i = 0; i < 20; i++) {
      SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 3).withSize(32, 32).withSeed(1000 + i);
      assertEquals(3, node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).size());
    }
  }

  @Test
  void tenantsAreKeptApartByCallingAe() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(31);
    Path file = SyntheticCt.write(spec, tmp.resolve("tenants")).get(0);
    assertTrue(Dcmtk.storescu("127.0.0.1", node.dicomPort(), "OTHER", "IMAGO", List.of(file)).ok());
    String sop = SyntheticCt.sopInstanceUid(spec, 1, 1, 1);
    assertTrue(node.imago.index().instance("other", sop).isPresent());
    assertTrue(node.imago.index().instance("demo", sop).isEmpty());
    assertTrue(node.imago.index().instance("other", sop).orElseThrow().objectKey().startsWith("other/"));
  }

  static Path findFile(List<Path> files, String sop) throws Exception {
    for (Path f : files) {
      if (sop.equals(Part10.parse(ByteBuffer.wrap(Files.readAllBytes(f))).sopInstanceUid())) return f;
    }
    throw new AssertionError("no file for " + sop);
  }


}
