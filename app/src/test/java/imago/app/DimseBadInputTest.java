package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.DicomStatus;
import imago.core.dicom.Uids;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.node.dimse.DimseCommand;
import imago.node.testkit.RawDicomClient.Context;
import imago.node.testkit.RawDicomClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a broken sender gets over DIMSE: a precise status per C-STORE, the association kept open
 * where PS3.7 allows it, an A-ABORT where the PDU stream itself lies, and nothing partial stored.
 */
class DimseBadInputTest {
  private static final String CT = SyntheticCt.CT_IMAGE_STORAGE;
  private static final List<Context> CONTEXTS = List.of(
      new Context(1, CT, Uids.EXPLICIT_VR_LITTLE_ENDIAN),
      new Context(3, Uids.VERIFICATION, Uids.IMPLICIT_VR_LITTLE_ENDIAN),
      new Context(5, "1.2.840.10008.5.1.4.31", Uids.IMPLICIT_VR_LITTLE_ENDIAN)); // Modality Worklist C-FIND

  @TempDir static Path tmp;
  static TestImago node;
  static SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 6).withSize(64, 64).withSeed(77);

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static byte[] dataset(int instance) throws Exception {
    return TestImago.dataset(SyntheticCt.instance(spec, 1, 1, instance));
  }

  private static String sop(int instance) {
    return SyntheticCt.sopInstanceUid(spec, 1, 1, instance);
  }

  private static RawDicomClient associate() throws Exception {
    return RawDicomClient.associate("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", CONTEXTS);
  }

  private long objectCount() throws Exception {
    long[] n = {0};
    node.imago.store().list("", o -> n[0]++);
    return n[0];
  }

  @Test
  void nonStorageServicesAreNotAcceptedButStorageAndVerificationAre() throws Exception {
    try (RawDicomClient c = associate()) {
      assertTrue(c.accepted(1));
      assertTrue(c.accepted(3));
      assertTrue(!c.accepted(5), "Modality Worklist is not offered by this node");
      assertEquals(DicomStatus.SUCCESS, c.echo(3).status());
      assertEquals(6, c.release());
    }
  }

  @Test
  void eachBrokenInstanceGetsItsStatusAndTheAssociationCarriesOn() throws Exception {
    long objectsBefore = objectCount();
    try (RawDicomClient c = associate()) {
      byte[] good = dataset(1);

      byte[] truncated = Arrays.copyOf(good, good.length - 1000);
      DimseCommand r = c.store(1, CT, sop(1), truncated);
      assertEquals(DicomStatus.CANNOT_UNDERSTAND, r.status(), r.errorComment());
      assertTrue(r.errorComment().contains("truncated"), r.errorComment());

      byte[] garbage = new byte[4096];
      new Random(1).nextBytes(garbage);
      r = c.store(1, CT, sop(1), garbage);
      assertEquals(DicomStatus.CANNOT_UNDERSTAND, r.status(), r.errorComment());

      r = c.store(1, "1.2.840.10008.5.1.4.1.1.4", sop(1), good); // says MR, data set is CT
      assertEquals(DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, r.status(), r.errorComment());

      r = c.store(1, CT, sop(2), good); // command names another instance
      assertEquals(DicomStatus.CANNOT_UNDERSTAND_INSTANCE_MISMATCH, r.status(), r.errorComment());

      r = c.store(1, CT, sop(3), withoutSopInstanceUid(dataset(3)));
      assertEquals(DicomStatus.CANNOT_UNDERSTAND_UID, r.status(), r.errorComment());
      assertTrue(r.errorComment().contains("SOP Instance UID"), r.errorComment());

      // after all that, the same association still stores a good instance
      r = c.store(1, CT, sop(1), good);
      assertEquals(DicomStatus.SUCCESS, r.status(), r.errorComment());
      assertEquals(6, c.release());
    }
    assertTrue(node.imago.index().instance("demo", sop(1)).isPresent());
    assertTrue(node.imago.index().instance("demo", sop(2)).isEmpty());
    assertTrue(node.imago.index().instance("demo", sop(3)).isEmpty());
    assertEquals(objectsBefore + 1, objectCount(), "only the good instance left an object");
  }

  @Test
  void aPduThatLiesAboutItsLengthIsAbortedAndTheNodeCarriesOn() throws Exception {
    try (RawDicomClient c = associate()) {
      // a P-DATA-TF claiming 2 GB: refused before anything is allocated
      c.sendRaw(new byte[] {0x04, 0, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xF0, 0, 0, 0, 1, 1, 3});
      assertEquals(0x07, c.readPduType(), "A-ABORT");
    }
    try (RawDicomClient c = associate()) {
      // an unknown PDU type
      c.sendRaw(new byte[] {0x09, 0, 0, 0, 0, 4, 0, 0, 0, 0});
      assertEquals(0x07, c.readPduType(), "A-ABORT");
    }
    assertTrue(Dcmtk.echoscu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO").ok(), "the node still answers");
  }

  @Test
  void aSenderThatVanishesMidInstanceLeavesNothingBehind() throws Exception {
    long objectsBefore = objectCount();
    int startedBefore = node.imago.dimse().associationsStarted();
    byte[] good = dataset(4);
    try (RawDicomClient c = associate()) {
      byte[] command = new DimseCommand(DimseCommand.C_STORE_RQ, 1, -1, CT, sop(4), true, 0, null).encode();
      List<byte[]> pdus = new ArrayList<>();
      pdus.add(pdv(1, 3, command));
      pdus.add(pdv(1, 0, Arrays.copyOf(good, 8000))); // a first data fragment, not the last
      for (byte[] p : pdus) c.sendRaw(p);
    } // socket closed mid-instance
    eventually(Duration.ofSeconds(30), "the node has served the vanished association to its end", () ->
        node.imago.dimse().associationsStarted() > startedBefore
            && node.imago.dimse().associationsEnded() == node.imago.dimse().associationsStarted());
    assertTrue(node.imago.index().instance("demo", sop(4)).isEmpty());
    assertEquals(objectsBefore, objectCount());
    assertTrue(Dcmtk.echoscu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO").ok());
  }

  @Test
  void unknownCallingAeGetsAProperRejection() {
    RawDicomClient.Rejected rj = assertThrows(RawDicomClient.Rejected.class,
        () -> RawDicomClient.associate("127.0.0.1", node.dicomPort(), "NOBODY", "IMAGO", CONTEXTS));
    assertEquals(1, rj.result, "rejected-permanent");
    assertEquals(1, rj.source, "service-user");
    assertEquals(3, rj.reason, "calling-AE-title-not-recognized");
  }

  private static byte[] pdv(int context, int control, byte[] value) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12 + value.length);
    b.put((byte) 4).put((byte) 0).putInt(6 + value.length).putInt(2 + value.length).put((byte) context)
        .put((byte) control).put(value);
    return b.array();
  }

  /** The data set with (0008,0018) removed, re-encoded by PixelMed. */
  private static byte[] withoutSopInstanceUid(byte[] dataset) throws Exception {
    com.pixelmed.dicom.AttributeList list = new com.pixelmed.dicom.AttributeList();
    list.read(new com.pixelmed.dicom.DicomInputStream(new java.io.ByteArrayInputStream(dataset),
        Uids.EXPLICIT_VR_LITTLE_ENDIAN, false));
    list.remove(com.pixelmed.dicom.TagFromName.SOPInstanceUID);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    list.write(new com.pixelmed.dicom.DicomOutputStream(out, null, Uids.EXPLICIT_VR_LITTLE_ENDIAN));
    return out.toByteArray();
  }
}
