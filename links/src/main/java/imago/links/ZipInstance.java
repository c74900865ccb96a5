package imago.links;

import imago.core.dicom.Uids;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * One instance for a study download: the index's metadata (enough for the DICOMDIR's PATIENT,
 * STUDY, SERIES and IMAGE records) and a way to open its stored PS3.10 file.
 */
public record ZipInstance(String patientId, String patientName, String studyUid, String studyDate, String studyTime,
    String studyId, String accessionNumber, String studyDescription, String seriesUid, String modality,
    int seriesNumber, String sopClassUid, String sopInstanceUid, String transferSyntaxUid, int instanceNumber,
    Opener content) {

  /** Opens the whole PS3.10 file; the writer closes each stream before opening the next. */
  @FunctionalInterface
  public interface Opener {
    InputStream open() throws IOException;
  }

  public ZipInstance {
    patientId = Objects.requireNonNullElse(patientId, "");
    patientName = Objects.requireNonNullElse(patientName, "");
    studyDate = Objects.requireNonNullElse(studyDate, "");
    studyTime = Objects.requireNonNullElse(studyTime, "");
    studyId = Objects.requireNonNullElse(studyId, "");
    accessionNumber = Objects.requireNonNullElse(accessionNumber, "");
    studyDescription = Objects.requireNonNullElse(studyDescription, "");
    modality = Objects.requireNonNullElse(modality, "");
    for (String uid : new String[] {studyUid, seriesUid, sopClassUid, sopInstanceUid, transferSyntaxUid}) {
      if (!Uids.isValid(uid)) throw new IllegalArgumentException("invalid UID in a zip instance: " + uid);
    }
    Objects.requireNonNull(content, "content");
  }
}
