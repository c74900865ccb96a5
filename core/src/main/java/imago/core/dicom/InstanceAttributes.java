package imago.core.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The attributes the index keeps for one instance (what QIDO-RS and the scheduler need), read
 * with PixelMed from the data set up to Pixel Data. Strings are as decoded with the data set's
 * Specific Character Set.
 */
public record InstanceAttributes(
    String specificCharacterSet,
    String patientId, String issuerOfPatientId, String patientName, String patientBirthDate, String patientSex,
    String studyInstanceUid, String studyDate, String studyTime, String accessionNumber, String studyId,
    String studyDescription, String referringPhysicianName,
    String seriesInstanceUid, String modality, String seriesNumber, String seriesDescription,
    String bodyPartExamined, String seriesDate, String seriesTime,
    String sopClassUid, String sopInstanceUid, String instanceNumber,
    int rows, int columns, int numberOfFrames, int bitsAllocated) {

  private static final AttributeTag PIXEL_DATA = TagFromName.PixelData;

  /** Reads {@code dataset} (position to limit) in {@code transferSyntaxUid}, stopping at Pixel Data. */
  public static InstanceAttributes read(ByteBuffer dataset, String transferSyntaxUid) throws MalformedDicomException {
    return from(parse(dataset, transferSyntaxUid));
  }

  /** The data set up to Pixel Data as PixelMed's attribute list (for the metadata kept at ingest). */
  public static AttributeList parse(ByteBuffer dataset, String transferSyntaxUid) throws MalformedDicomException {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteBufferInputStream(dataset.slice()), transferSyntaxUid, false)) {
      list.read(in, PIXEL_DATA);
    } catch (IOException | DicomException | RuntimeException e) {
      throw new MalformedDicomException("cannot parse data set: " + e.getMessage());
    }
    return list;
  }

  public static InstanceAttributes from(AttributeList l) {
    return new InstanceAttributes(
        s(l, TagFromName.SpecificCharacterSet),
        s(l, TagFromName.PatientID), s(l, TagFromName.IssuerOfPatientID), s(l, TagFromName.PatientName),
        s(l, TagFromName.PatientBirthDate), s(l, TagFromName.PatientSex),
        s(l, TagFromName.StudyInstanceUID), s(l, TagFromName.StudyDate), s(l, TagFromName.StudyTime),
        s(l, TagFromName.AccessionNumber), s(l, TagFromName.StudyID), s(l, TagFromName.StudyDescription),
        s(l, TagFromName.ReferringPhysicianName),
        s(l, TagFromName.SeriesInstanceUID), s(l, TagFromName.Modality), s(l, TagFromName.SeriesNumber),
        s(l, TagFromName.SeriesDescription), s(l, TagFromName.BodyPartExamined),
        s(l, TagFromName.SeriesDate), s(l, TagFromName.SeriesTime),
        s(l, TagFromName.SOPClassUID), s(l, TagFromName.SOPInstanceUID), s(l, TagFromName.InstanceNumber),
        i(l, TagFromName.Rows), i(l, TagFromName.Columns), Math.max(i(l, TagFromName.NumberOfFrames), 0),
        i(l, TagFromName.BitsAllocated));
  }

  /**
   * The UIDs every stored instance must carry (PS3.3 SOP Common and General Study/Series
   * modules), checked for syntax.
   */
  public void requireIdentity() throws MalformedDicomException {
    requireUid("SOP Class UID (0008,0016)", sopClassUid);
    requireUid("SOP Instance UID (0008,0018)", sopInstanceUid);
    requireUid("Study Instance UID (0020,000D)", studyInstanceUid);
    requireUid("Series Instance UID (0020,000E)", seriesInstanceUid);
  }

  private static void requireUid(String name, String value) throws MalformedDicomException {
    if (value == null || value.isEmpty()) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_UID, "missing " + name);
    }
    if (!Uids.isValid(value)) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_UID, "malformed " + name + ": '" + value + "'");
    }
  }

  private static String s(AttributeList l, AttributeTag tag) {
    Attribute a = l.get(tag);
    if (a == null) return "";
    try {
      String[] values = a.getStringValues();
      if (values == null || values.length == 0) return "";
      return values.length == 1 ? values[0].trim() : String.join("\\", values).trim();
    } catch (DicomException e) {
      return "";
    }
  }

  private static int i(AttributeList l, AttributeTag tag) {
    String v = s(l, tag);
    try {
      return v.isEmpty() ? 0 : Integer.parseInt(v.split("\\\\")[0].trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** PixelMed reads from an InputStream; this one reads a ByteBuffer without copying it first. */
  private static final class ByteBufferInputStream extends InputStream {
    private final ByteBuffer b;

    ByteBufferInputStream(ByteBuffer b) {
      this.b = b;
    }

    @Override
    public int read() {
      return b.hasRemaining() ? b.get() & 0xFF : -1;
    }

    @Override
    public int read(byte[] dst, int off, int len) {
      if (!b.hasRemaining()) return -1;
      int n = Math.min(len, b.remaining());
      b.get(dst, off, n);
      return n;
    }

    @Override
    public long skip(long n) {
      int k = (int) Math.min(n, b.remaining());
      b.position(b.position() + k);
      return k;
    }

    @Override
    public int available() {
      return b.remaining();
    }
  }
}
