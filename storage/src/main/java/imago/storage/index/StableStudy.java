package imago.storage.index;

/** A study that received no instance for the quiet period, claimed once for study.stable. */
public record StableStudy(String tenantId, String studyUid, long revision, int instances) {}
