package imago.inference.results;

import imago.core.dicom.Uids;
import java.time.Instant;
import java.util.Objects;

/**
 * UIDs and numbers for a new result object, chosen by the caller so that writing the same result
 * again gives the same bytes (DESIGN.md invariant 5: results are written once). Every other UID
 * inside the object (tracking UIDs, dimension organisation) is derived from
 * {@code sopInstanceUid}.
 */
public record ResultIds(String seriesInstanceUid, String sopInstanceUid, int seriesNumber, int instanceNumber,
    Instant contentTime) {
  public ResultIds {
    if (!Uids.isValid(seriesInstanceUid)) throw new IllegalArgumentException("invalid seriesInstanceUid");
    if (!Uids.isValid(sopInstanceUid)) throw new IllegalArgumentException("invalid sopInstanceUid");
    if (seriesNumber < 0 || instanceNumber < 0) {
      throw new IllegalArgumentException("negative series or instance number");
    }
    Objects.requireNonNull(contentTime, "contentTime");
  }
}
