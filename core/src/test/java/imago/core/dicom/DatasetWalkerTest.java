package imago.core.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.pixelmed.dicom.AttributeList;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetWalkerTest {
  private static final Path DEFLATED = PydicomCorpusTest.CORPUS.resolve("test_files/image_dfl.dcm");

  @Test
  void acceptsGeneratedInstance() throws MalformedDicomException {
    byte[] file = SyntheticCt.instance(SyntheticCt.Spec.defaults(), 1, 1, 1);
    Part10.Header h = Part10Files.validate(file);
    assertEquals(Uids.EXPLICIT_VR_LITTLE_ENDIAN, h.transferSyntaxUid());
  }

  @Test
  void acceptsNestedSequencesOfUndefinedAndDefinedLength(@TempDir Path dir) throws Exception {
    byte[] undefined = Part10Files.write(Part10Files.smallInstanceWithSequences(3));
    Part10Files.validate(undefined);
    Part10Files.validate(definedLengthCopy(dir, undefined));
  }

  /**
   * Every cut of a file (inside the preamble, the meta, an element header or value, a sequence,
   * an item, the pixel data) is rejected, except a cut exactly between two top-level elements,
   * which leaves a shorter but whole data set and must be accepted.
   */
  @Test
  void rejectsEveryCutExceptBetweenTopLevelElements() {
    AttributeList list = Part10Files.smallInstanceWithSequences(5);
    byte[] file = Part10Files.write(list);
    List<Integer> boundaries = Part10Files.topLevelBoundaries(list, file);
    assertEquals(file.length, boundaries.get(boundaries.size() - 1), "prefix oracle must end at the file's end");
    Set<Integer> wholeCuts = new HashSet<>(boundaries.subList(1, boundaries.size()));
    for (int cut = 0; cut < file.length; cut++) {
      byte[] truncated = Arrays.copyOf(file, cut);
      if (wholeCuts.contains(cut)) {
        try {
          Part10Files.validate(truncated);
        } catch (MalformedDicomException e) {
          fail("a cut between top-level elements at " + cut + " was rejected: " + e.getMessage());
        }
      } else {
        int at = cut;
        assertThrows(MalformedDicomException.class, () -> Part10Files.validate(truncated), () -> "cut at " + at);
      }
    }
  }

  /** The same for dcmtk's re-encoding with explicit sequence and item lengths. */
  @Test
  void rejectsEveryCutOfDefinedLengthSequences(@TempDir Path dir) throws Exception {
    byte[] file = definedLengthCopy(dir, Part10Files.write(Part10Files.smallInstanceWithSequences(7)));
    Part10.Header h = Part10Files.validate(file);
    Set<Integer> wholeCuts = topLevelEndsOfDefinedLengthDataset(file, h.datasetOffset());
    for (int cut = 0; cut < file.length; cut++) {
      if (wholeCuts.contains(cut)) continue;
      byte[] truncated = Arrays.copyOf(file, cut);
      int at = cut;
      assertThrows(MalformedDicomException.class, () -> Part10Files.validate(truncated), () -> "cut at " + at);
    }
  }

  /** Twenty named cuts of a full-size 512x512 instance with sequences. */
  @Test
  void rejectsTwentyCutsOfAFullSizeInstance() {
    AttributeList list = Part10Files.read(SyntheticCt.instance(SyntheticCt.Spec.defaults(), 1, 1, 2));
    Part10Files.addSequences(list);
    byte[] file = Part10Files.write(list);
    int meta = 132;
    int tsValue = indexOf(file, "1.2.840.10008.1.2.1\0", 0);
    int dataset = indexOf(file, new byte[] {8, 0, 5, 0, 'C', 'S'}, 0);
    int patientName = indexOf(file, new byte[] {0x10, 0, 0x10, 0, 'P', 'N'}, dataset);
    int sequence = indexOf(file, new byte[] {8, 0, 0x40, 0x11, 'S', 'Q'}, dataset);
    int nested = indexOf(file, new byte[] {0x40, 0, 0x70, (byte) 0xA1, 'S', 'Q'}, sequence);
    int codeMeaning = indexOf(file, "Localizer", nested);
    int pixels = file.length - 512 * 512 * 2 - 12;
    assertEquals(0x7FE0, Short.toUnsignedInt(ByteBuffer.wrap(file, pixels, 2).order(ByteOrder.LITTLE_ENDIAN).getShort()));
    Map<String, Integer> cuts = new LinkedHashMap<>();
    cuts.put("inside the preamble", 64);
    cuts.put("inside DICM", 130);
    cuts.put("inside the meta group length header", meta + 5);
    cuts.put("inside the meta group length value", meta + 10);
    cuts.put("inside the transfer syntax UID", tsValue + 7);
    cuts.put("just after the meta", dataset);
    cuts.put("inside the first element header", dataset + 3);
    cuts.put("inside the first element value", dataset + 9);
    cuts.put("inside Patient Name's header", patientName + 6);
    cuts.put("inside Patient Name's value", patientName + 10);
    cuts.put("inside a sequence header", sequence + 9);
    cuts.put("just after a sequence header", sequence + 12);
    cuts.put("inside the first item header", sequence + 15);
    cuts.put("inside a nested sequence", nested + 14);
    cuts.put("inside a nested item's value", codeMeaning + 4);
    cuts.put("inside the pixel data header", pixels + 7);
    cuts.put("just after the pixel data header", pixels + 12);
    cuts.put("in the middle of the pixel data", pixels + 12 + 512 * 512);
    cuts.put("two bytes short", file.length - 2);
    cuts.put("one byte short", file.length - 1);
    assertEquals(20, cuts.size());
    cuts.forEach((where, cut) -> {
      byte[] truncated = Arrays.copyOf(file, cut);
      assertThrows(MalformedDicomException.class, () -> Part10Files.validate(truncated), where + " (" + cut + ")");
    });
  }

  @Test
  void rejectsGarbageAfterThePreamble() {
    Random random = new Random(42);
    for (int i = 0; i < 200; i++) {
      byte[] file = new byte[132 + 1 + random.nextInt(4096)];
      random.nextBytes(file);
      System.arraycopy("DICM".getBytes(StandardCharsets.US_ASCII), 0, file, 128, 4);
      int n = i;
      assertThrows(MalformedDicomException.class, () -> Part10Files.validate(file), () -> "garbage #" + n);
    }
  }

  @Test
  void rejectsGarbageAfterValidFileMetaInformation() {
    Random random = new Random(7);
    for (String ts : List.of(Uids.EXPLICIT_VR_LITTLE_ENDIAN, Uids.IMPLICIT_VR_LITTLE_ENDIAN, Uids.EXPLICIT_VR_BIG_ENDIAN)) {
      byte[] meta = Part10.fileMetaInformation(SyntheticCt.CT_IMAGE_STORAGE, "2.25.1", ts, "TEST");
      for (int i = 0; i < 100; i++) {
        byte[] garbage = new byte[1 + random.nextInt(4096)];
        random.nextBytes(garbage);
        ByteBuffer dataset = ByteBuffer.wrap(garbage);
        int n = i;
        assertThrows(MalformedDicomException.class, () -> DatasetWalker.validate(dataset, ts), () -> ts + " #" + n);
        byte[] file = Arrays.copyOf(meta, meta.length + garbage.length);
        System.arraycopy(garbage, 0, file, meta.length, garbage.length);
        assertThrows(MalformedDicomException.class, () -> Part10Files.validate(file), () -> ts + " file #" + n);
      }
    }
  }

  @Test
  void acceptsDeflatedExplicitVrLittleEndian() throws Exception {
    assumeTrue(Files.isRegularFile(DEFLATED), "pydicom test files not installed");
    Part10.Header h = Part10Files.validate(Files.readAllBytes(DEFLATED));
    assertEquals(Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, h.transferSyntaxUid());
  }

  @Test
  void rejectsTruncatedDeflatedDataset() throws Exception {
    assumeTrue(Files.isRegularFile(DEFLATED), "pydicom test files not installed");
    byte[] file = Files.readAllBytes(DEFLATED);
    int start = Part10.parse(ByteBuffer.wrap(file)).datasetOffset();
    // image_dfl.dcm carries 8 bytes after the deflate stream (a gzip CRC and size), which the
    // walker ignores: cut inside the stream itself
    int streamEnd = file.length - unusedAfterDeflateStream(file, start);
    for (int cut : new int[] {start + 1, start + (streamEnd - start) / 2, streamEnd - 1}) {
      byte[] truncated = Arrays.copyOf(file, cut);
      MalformedDicomException e = assertThrows(MalformedDicomException.class, () -> Part10Files.validate(truncated));
      assertTrue(e.getMessage().contains("deflated"), e.getMessage());
    }
  }

  @Test
  void rejectsSequencesNestedTooDeep() {
    // 40 nested undefined-length sequences, each in an undefined-length item, explicit VR LE
    ByteBuffer b = ByteBuffer.allocate(40 * 20 + 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 40; i++) {
      b.putShort((short) 0x0008).putShort((short) 0x1140).put((byte) 'S').put((byte) 'Q').putShort((short) 0).putInt(-1);
      b.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(-1);
    }
    ByteBuffer dataset = b.flip();
    MalformedDicomException e = assertThrows(MalformedDicomException.class,
        () -> DatasetWalker.validate(dataset, Uids.EXPLICIT_VR_LITTLE_ENDIAN));
    assertTrue(e.getMessage().contains("deeper"), e.getMessage());
  }

  /**
   * PS3.5 §6.2.2: an undefined-length UN value is encoded in implicit VR little endian whatever
   * the transfer syntax, so inside an explicit VR big endian data set its items are little endian.
   */
  @Test
  void readsUndefinedLengthUnAsLittleEndianInsideBigEndian() throws MalformedDicomException {
    ByteBuffer b = ByteBuffer.allocate(64);
    b.order(ByteOrder.BIG_ENDIAN).putShort((short) 0x0009).putShort((short) 0x1010).put((byte) 'U').put((byte) 'N')
        .putShort((short) 0).putInt(-1);
    b.order(ByteOrder.LITTLE_ENDIAN)
        .putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(12)              // item, 12 bytes
        .putShort((short) 0x0009).putShort((short) 0x1011).putInt(4).putInt(1234) // implicit element
        .putShort((short) 0xFFFE).putShort((short) 0xE0DD).putInt(0);             // sequence delimiter
    DatasetWalker.validate(b.flip(), Uids.EXPLICIT_VR_BIG_ENDIAN);
  }

  private static int unusedAfterDeflateStream(byte[] file, int start) throws DataFormatException {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(file, start, file.length - start);
      byte[] sink = new byte[65536];
      while (!inflater.finished()) {
        if (inflater.inflate(sink) == 0 && inflater.needsInput()) throw new AssertionError("deflate stream incomplete");
      }
      return inflater.getRemaining();
    } finally {
      inflater.end();
    }
  }

  /** dcmconv's default re-encoding writes explicit (defined) sequence and item lengths. */
  static byte[] definedLengthCopy(Path dir, byte[] file) throws IOException {
    Path in = Files.write(dir.resolve("in.dcm"), file);
    Path out = dir.resolve("defined.dcm");
    Dcmtk.Result r = Dcmtk.dcmconv(in, out, "+e", "+te");
    assertTrue(r.ok(), r::toString);
    byte[] converted = Files.readAllBytes(out);
    assertTrue(Dcmtk.dcmdump(out).output().contains("Sequence with explicit length"), "dcmconv kept undefined lengths");
    return converted;
  }

  /** Ends of top-level elements of an explicit VR LE data set in which every length is defined. */
  private static Set<Integer> topLevelEndsOfDefinedLengthDataset(byte[] file, int start) {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    Set<Integer> ends = new HashSet<>();
    int pos = start;
    while (pos < file.length) {
      String vr = new String(file, pos + 4, 2, StandardCharsets.US_ASCII);
      boolean longVr = ElementReader.isLongVr(vr);
      long length = longVr ? Integer.toUnsignedLong(b.getInt(pos + 8)) : Short.toUnsignedInt(b.getShort(pos + 6));
      assertTrue(length != 0xFFFFFFFFL, "undefined length at " + pos);
      pos += (longVr ? 12 : 8) + (int) length;
      ends.add(pos);
    }
    assertEquals(file.length, pos);
    return ends;
  }

  private static int indexOf(byte[] haystack, String needle, int from) {
    return indexOf(haystack, needle.getBytes(StandardCharsets.US_ASCII), from);
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) continue outer;
      }
      return i;
    }
    throw new AssertionError("not found: " + new String(needle, StandardCharsets.ISO_8859_1));
  }

  /** Security: a deflated data set built to inflate a thousandfold is refused while inflating, not after. */
  @Test
  void aDeflateBombIsRefused() throws Exception {
    java.io.ByteArrayOutputStream deflated = new java.io.ByteArrayOutputStream();
    java.util.zip.Deflater deflater = new java.util.zip.Deflater(9, true);
    try (java.util.zip.DeflaterOutputStream out = new java.util.zip.DeflaterOutputStream(deflated, deflater)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 300; i++) out.write(zeros);
    } finally {
      deflater.end();
    }
    MalformedDicomException e = org.junit.jupiter.api.Assertions.assertThrows(MalformedDicomException.class, () ->
        DatasetWalker.validate(java.nio.ByteBuffer.wrap(deflated.toByteArray()), Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("deflate bomb"), e.getMessage());
  }
}
