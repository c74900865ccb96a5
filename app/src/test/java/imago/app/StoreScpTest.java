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

  /** JPEG baseline, extended, lossless, JPEG 2000, JPEG-LS, RLE: stored as sent, never transcoded. */
  @Test
  void compressedTransferSyntaxesAreStoredExactlyAsReceived() throws Exception {
    Path corpus = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
    List<String> names = List.of("693_J2KI.dcm", "GDCMJ2K_TextGBR.dcm", "JPEG-lossy.dcm", "MR_small_RLE.dcm",
        "SC_jpeg_no_color_transform.dcm", "SC_rgb_jpeg_gdcm.dcm", "MR_small_jpeg_ls_lossless.dcm");
    StringBuilder contexts = new StringBuilder();
    StringBuilder syntaxes = new StringBuilder();
    for (int i = 0; i < names.size(); i++) {
      Part10.Header h = Part10.parse(ByteBuffer.wrap(Files.readAllBytes(corpus.resolve(names.get(i)))));
      syntaxes.append("[TS").append(i).append("]\nTransferSyntax1 = ").append(h.transferSyntaxUid()).append("\n");
      contexts.append("PresentationContext").append(i + 1).append(" = ").append(h.sopClassUid()).append("\\TS").append(i).append("\n");
    }
    Path cfg = Files.writeString(tmp.resolve("compressed.cfg"), "[[TransferSyntaxes]]\n" + syntaxes
        + "[[PresentationContexts]]\n[Compressed]\n" + contexts + "[[Profiles]]\n[Compressed]\nPresentationContexts = Compressed\n");
    for (String name : names) {
      Path file = corpus.resolve(name);
      // MR_small_jpeg_ls_lossless shares its SOP Instance UID with MR_small_RLE: another hospital sends it
      String calling = name.contains("jpeg_ls") ? "OTHER" : "DEMO";
      Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.dicomPort(), calling, "IMAGO", List.of(file),
          "-xf", cfg.toString(), "Compressed");
      assertTrue(r.ok() && !Dcmtk.storescuAcknowledgedUids(r.output()).isEmpty(), name + ": " + r);
      byte[] original = Files.readAllBytes(file);
      Part10.Header sent = Part10.parse(ByteBuffer.wrap(original));
      StoredInstance i = node.imago.index().instance(calling.equals("OTHER") ? "other" : "demo", sent.sopInstanceUid()).orElseThrow();
      assertEquals(sent.transferSyntaxUid(), i.transferSyntaxUid(), name);
      // storescu itself may drop group lengths or padding from the header; the compressed pixel
      // data (every fragment) must arrive and be stored bit for bit
      assertArrayEquals(pixelData(original), pixelData(node.object(i.objectKey())), name);
    }
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

  /** The encapsulated Pixel Data element (7FE0,0010), VR OB or OW: its fragments through the delimiter. */
  static byte[] pixelData(byte[] file) {
    for (int i = file.length - 12; i >= 0; i--) {
      if (file[i] == (byte) 0xE0 && file[i + 1] == 0x7F && file[i + 2] == 0x10 && file[i + 3] == 0
          && file[i + 4] == 'O' && (file[i + 5] == 'B' || file[i + 5] == 'W')
          && file[i + 8] == (byte) 0xFF && file[i + 9] == (byte) 0xFF && file[i + 10] == (byte) 0xFF && file[i + 11] == (byte) 0xFF) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int end = i + 12;
        while (b.getInt(end) != 0xE0DDFFFE) end += 8 + b.getInt(end + 4); // fragments up to the delimiter
        return java.util.Arrays.copyOfRange(file, i + 6, end + 8);
      }
    }
    throw new AssertionError("no encapsulated Pixel Data");
  }

  static Path findFile(List<Path> files, String sop) throws Exception {
    for (Path f : files) {
      if (sop.equals(Part10.parse(ByteBuffer.wrap(Files.readAllBytes(f))).sopInstanceUid())) return f;
    }
    throw new AssertionError("no file for " + sop);
  }

}
