package imago.links;

import imago.core.dicom.Uids;

/** One instance a KOS manifest references (PS3.3 Table C.17-3 Hierarchical SOP Instance Reference). */
public record KosReference(String studyUid, String seriesUid, String sopClassUid, String sopInstanceUid) {
  public KosReference {
    if (!Uids.isValid(studyUid) || !Uids.isValid(seriesUid) || !Uids.isValid(sopClassUid)
        || !Uids.isValid(sopInstanceUid)) {
      throw new IllegalArgumentException("a KOS reference needs valid study, series, SOP class and instance UIDs");
    }
  }
}
