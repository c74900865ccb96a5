package imago.core.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.DatasetWalker;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import imago.core.testkit.Dcmtk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCtTest {
  private static final SyntheticCt.Spec SMALL = new SyntheticCt.Spec(2, 2, 3, 64, 64, 5, "SYNT");

  @Test
  void sameSpecGivesTheSameBytes() {
    assertArrayEquals(SyntheticCt.instance(SyntheticCt.Spec.defaults(), 1, 1, 4),
        SyntheticCt.instance(SyntheticCt.Spec.defaults(), 1, 1, 4));
  }

  @Test
  void anotherSeedGivesOtherUidsForTheSamePatient() throws MalformedDicomException {
    SyntheticCt.Spec other = SMALL.withSeed(6);
    assertNotEquals(SyntheticCt.studyInstanceUid(SMALL, 1), SyntheticCt.studyInstanceUid(other, 1));
    assertNotEquals(SyntheticCt.sopInstanceUid(SMALL, 1, 1, 1), SyntheticCt.sopInstanceUid(other, 1, 1, 1));
    assertEquals(SyntheticCt.patientId(SMALL, 1), SyntheticCt.patientId(other, 1));
    assertFalse(Arrays.equals(SyntheticCt.instance(SMALL, 1, 1, 1), SyntheticCt.instance(other, 1, 1, 1)));
    assertEquals(SyntheticCt.sopInstanceUid(other, 1, 1, 1),
        Part10.parse(ByteBuffer.wrap(SyntheticCt.instance(other, 1, 1, 1))).sopInstanceUid());
  }

  @Test
  void writesStudySeriesInstanceTreeWithUniqueValidUids(@TempDir Path dir) throws Exception {
    List<Path> paths = SyntheticCt.write(SMALL, dir);
    assertEquals(SMALL.totalInstances(), paths.size());
    assertEquals(dir.resolve("2/1/3.dcm"), paths.get(8));
    Set<String> uids = new HashSet<>();
    for (int st = 1; st <= 2; st++) {
      uids.add(SyntheticCt.studyInstanceUid(SMALL, st));
      for (int se = 1; se <= 2; se++) {
        uids.add(SyntheticCt.seriesInstanceUid(SMALL, st, se));
        for (int in = 1; in <= 3; in++) uids.add(SyntheticCt.sopInstanceUid(SMALL, st, se, in));
      }
    }
    assertEquals(2 + 4 + 12, uids.size());
    assertTrue(uids.stream().allMatch(Uids::isValid), uids::toString);
    for (Path p : paths) {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p));
      Part10.Header h = Part10.parse(b);
      assertEquals(SyntheticCt.CT_IMAGE_STORAGE, h.sopClassUid());
      assertEquals(Uids.EXPLICIT_VR_LITTLE_ENDIAN, h.transferSyntaxUid());
      assertTrue(uids.contains(h.sopInstanceUid()));
      DatasetWalker.validate(b.position(h.datasetOffset()), h.transferSyntaxUid());
    }
  }

  /** dciodvfy finds no errors in the first, a middle and the last slice of each kind of series. */
  @Test
  void passesDciodvfy(@TempDir Path dir) throws IOException {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 2, 9, 512, 512, 8, "IOD");
    for (int series = 1; series <= 2; series++) {
      for (int instance : new int[] {1, 5, 9}) {
        Path file = Files.write(dir.resolve(series + "-" + instance + ".dcm"), SyntheticCt.instance(spec, 1, series, instance));
        Dcmtk.Result r = Dcmtk.dciodvfy(file);
        assertTrue(r.output().contains("CTImage"), r::toString);
        assertEquals(List.of(), Dcmtk.dciodvfyErrors(r.output()), r::toString);
      }
    }
  }

  @Test
  void writesAPrivateSopClassInstance(@TempDir Path dir) throws Exception {
    Path file = SyntheticCt.writePrivateSopClassInstance(dir, 3);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
    Part10.Header h = Part10.parse(b);
    assertEquals(SyntheticCt.PRIVATE_SOP_CLASS, h.sopClassUid());
    assertTrue(Uids.isValid(h.sopClassUid()));
    DatasetWalker.validate(b.position(h.datasetOffset()), h.transferSyntaxUid());
    Dcmtk.Result dump = Dcmtk.dcmdump(file);
    assertTrue(dump.ok(), dump::toString);
    assertTrue(dump.output().contains("(0008,0016) UI [" + SyntheticCt.PRIVATE_SOP_CLASS + "]"), dump::toString);
    assertNotEquals(SyntheticCt.sopInstanceUid(SyntheticCt.Spec.defaults().withSeed(3), 1, 1, 1), h.sopInstanceUid());
  }

  @Test
  void rejectsOutOfRangeIndexesAndBadSpecs() {
    assertThrows(IllegalArgumentException.class, () -> SyntheticCt.instance(SMALL, 3, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> SyntheticCt.instance(SMALL, 1, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new SyntheticCt.Spec(0, 1, 1, 64, 64, 1, "X"));
    assertThrows(IllegalArgumentException.class, () -> SMALL.withPatientPrefix("TOO-LONG-PREFIX"));
  }

  /** Thousands of 512x512 slices a minute; the bound is loose for a busy 2-core machine. */
  @Test
  void generatesQuickly() {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 100);
    long bytes = 0;
    long start = System.nanoTime();
    for (int i = 1; i <= 100; i++) bytes += SyntheticCt.instance(spec, 1, 1, i).length;
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("SyntheticCt: 100 slices 512x512 in %.2f s = %.0f/min (%d MB)%n",
        seconds, 100 / seconds * 60, bytes >> 20);
    assertTrue(seconds < 30, "100 slices took " + seconds + " s");
  }
}
