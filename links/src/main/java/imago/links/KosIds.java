package imago.links;

import imago.core.dicom.Uids;
import java.time.Instant;
import java.util.Objects;

/** Identity of a new KOS, chosen by the caller so that writing it again gives the same bytes. */
public record KosIds(String seriesInstanceUid, String sopInstanceUid, int seriesNumber, int instanceNumber,
    Instant contentTime) {
  public KosIds {
    if (!Uids.isValid(seriesInstanceUid) || !Uids.isValid(sopInstanceUid)) {
      throw new IllegalArgumentException("invalid series or SOP instance UID");
    }
    if (seriesNumber < 0 || instanceNumber < 0) throw new IllegalArgumentException("negative series or instance number");
    Objects.requireNonNull(contentTime, "contentTime");
  }
}
