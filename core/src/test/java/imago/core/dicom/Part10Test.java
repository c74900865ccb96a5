package imago.core.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Part10Test {
  // odd lengths, so both UIDs need their trailing NUL pad (PS3.5 §9.1)
  private static final String SOP_CLASS = SyntheticCt.CT_IMAGE_STORAGE + ".1";
  private static final String SOP_INSTANCE = "2.25.123456789012345678901234567890123";

  @Test
  void parsesTheFileMetaInformationItWrites() throws MalformedDicomException {
    byte[] meta = Part10.fileMetaInformation(SOP_CLASS, SOP_INSTANCE, Uids.EXPLICIT_VR_LITTLE_ENDIAN, "MODALITY1");
    Part10.Header h = Part10.parse(ByteBuffer.wrap(meta));
    assertEquals(SOP_CLASS, h.sopClassUid());
    assertEquals(SOP_INSTANCE, h.sopInstanceUid());
    assertEquals(Uids.EXPLICIT_VR_LITTLE_ENDIAN, h.transferSyntaxUid());
    assertEquals(meta.length, h.datasetOffset());
  }

  @Test
  void writesFileMetaInformationThatDcmtkReadsTheSame(@TempDir Path dir) throws Exception {
    byte[] original = SyntheticCt.instance(new SyntheticCt.Spec(1, 1, 1, 32, 32, 9, "META"), 1, 1, 1);
    Part10.Header source = Part10.parse(ByteBuffer.wrap(original));
    byte[] meta = Part10.fileMetaInformation(source.sopClassUid(), source.sopInstanceUid(),
        source.transferSyntaxUid(), "STORESCU");
    byte[] file = Arrays.copyOf(meta, meta.length + original.length - source.datasetOffset());
    System.arraycopy(original, source.datasetOffset(), file, meta.length, original.length - source.datasetOffset());
    Path path = Files.write(dir.resolve("rewrapped.dcm"), file);

    Part10.Header ours = Part10Files.validate(file);
    Dcmtk.Result dump = Dcmtk.dcmdump(path, "-M", "-Un");
    assertTrue(dump.ok(), dump::toString);
    assertEquals(ours.sopClassUid(), value(dump.output(), "0002,0002"));
    assertEquals(ours.sopInstanceUid(), value(dump.output(), "0002,0003"));
    assertEquals(ours.transferSyntaxUid(), value(dump.output(), "0002,0010"));
    assertEquals(Uids.IMPLEMENTATION_CLASS_UID, value(dump.output(), "0002,0012"));
    assertEquals(Uids.IMPLEMENTATION_VERSION_NAME, value(dump.output(), "0002,0013"));
    assertEquals("STORESCU", value(dump.output(), "0002,0016"));
    assertEquals(ours.sopInstanceUid(), value(dump.output(), "0008,0018"));
    assertFalse(dump.output().contains("W: "), dump::toString);
  }

  /** A data set Imago makes becomes a whole file: its UIDs in the meta, then the data set as PixelMed writes it. */
  @Test
  void encodesAWholeFileFromADataSet(@TempDir Path dir) throws Exception {
    AttributeList list = new AttributeList();
    Datasets.put(list, TagFromName.SOPClassUID, SOP_CLASS);
    Datasets.put(list, TagFromName.SOPInstanceUID, SOP_INSTANCE);
    Datasets.put(list, TagFromName.Modality, "OT");
    Datasets.putCode(list, TagFromName.ConceptNameCodeSequence, "DCM", "121311", "Localizer");
    byte[] file = Part10.encode(list, "RESULTS");

    Part10.Header h = Part10Files.validate(file);
    assertEquals(SOP_CLASS, h.sopClassUid());
    assertEquals(SOP_INSTANCE, h.sopInstanceUid());
    assertEquals(Uids.EXPLICIT_VR_LITTLE_ENDIAN, h.transferSyntaxUid());
    ByteArrayOutputStream dataset = new ByteArrayOutputStream();
    list.write(dataset, Uids.EXPLICIT_VR_LITTLE_ENDIAN, false, true);
    assertArrayEquals(dataset.toByteArray(), Arrays.copyOfRange(file, h.datasetOffset(), file.length));

    Path path = Files.write(dir.resolve("encoded.dcm"), file);
    Dcmtk.Result dump = Dcmtk.dcmdump(path, "-M", "-Un");
    assertTrue(dump.ok(), dump::toString);
    assertEquals("RESULTS", value(dump.output(), "0002,0016"));
    assertEquals(Uids.IMPLEMENTATION_CLASS_UID, value(dump.output(), "0002,0012"));
    assertEquals("OT", value(dump.output(), "0008,0060"));
    assertFalse(dump.output().contains("W: "), dump::toString);
  }

  @Test
  void rejectsAFileWithoutPreambleAndDicm() {
    byte[] meta = Part10.fileMetaInformation(SOP_CLASS, SOP_INSTANCE, Uids.EXPLICIT_VR_LITTLE_ENDIAN, null);
    assertTrue(Part10.looksLikePart10(ByteBuffer.wrap(meta)));
    byte[] noDicm = meta.clone();
    noDicm[129] = 'X';
    assertFalse(Part10.looksLikePart10(ByteBuffer.wrap(noDicm)));
    assertThrows(MalformedDicomException.class, () -> Part10.parse(ByteBuffer.wrap(noDicm)));
    byte[] withoutPreamble = Arrays.copyOfRange(meta, 128, meta.length);
    assertThrows(MalformedDicomException.class, () -> Part10.parse(ByteBuffer.wrap(withoutPreamble)));
  }

  @Test
  void rejectsMetaWithoutTransferSyntax() {
    byte[] meta = Part10.fileMetaInformation(SOP_CLASS, SOP_INSTANCE, Uids.EXPLICIT_VR_LITTLE_ENDIAN, null);
    // rename (0002,0010) to (0002,0011), which Part10 does not read
    for (int pos = 132; pos + 6 <= meta.length; pos++) {
      if (meta[pos] == 2 && meta[pos + 1] == 0 && meta[pos + 2] == 0x10 && meta[pos + 3] == 0
          && meta[pos + 4] == 'U' && meta[pos + 5] == 'I') {
        meta[pos + 2] = 0x11;
        break;
      }
    }
    MalformedDicomException e = assertThrows(MalformedDicomException.class, () -> Part10.parse(ByteBuffer.wrap(meta)));
    assertTrue(e.getMessage().contains("Transfer Syntax"), e.getMessage());
  }

  /** A File Meta Information Group Length (0002,0000) whose value is not 4 bytes long. */
  @Test
  void rejectsAGroupLengthOfTheWrongSize() {
    ByteBuffer b = ByteBuffer.allocate(140).order(ByteOrder.LITTLE_ENDIAN);
    b.position(128);
    b.put((byte) 'D').put((byte) 'I').put((byte) 'C').put((byte) 'M');
    b.putShort((short) 2).putShort((short) 0).put((byte) 'U').put((byte) 'L').putShort((short) 0);
    assertThrows(MalformedDicomException.class, () -> Part10.parse(ByteBuffer.wrap(b.array())));
  }

  @Test
  void parsesFromTheBufferPosition() throws MalformedDicomException {
    byte[] meta = Part10.fileMetaInformation(SOP_CLASS, SOP_INSTANCE, Uids.IMPLICIT_VR_LITTLE_ENDIAN, "A");
    byte[] shifted = new byte[meta.length + 10];
    System.arraycopy(meta, 0, shifted, 10, meta.length);
    Part10.Header h = Part10.parse(ByteBuffer.wrap(shifted).position(10));
    assertEquals(Uids.IMPLICIT_VR_LITTLE_ENDIAN, h.transferSyntaxUid());
    assertEquals(meta.length, h.datasetOffset());
  }

  /** The bracketed value of {@code (gggg,eeee)} in dcmdump output. */
  private static String value(String dump, String tag) {
    Matcher m = Pattern.compile("(?m)^\\(" + tag + "\\) \\w\\w \\[([^\\]]*)\\]").matcher(dump);
    if (!m.find()) throw new AssertionError("(" + tag + ") not in dcmdump output:\n" + dump);
    return m.group(1);
  }
}
