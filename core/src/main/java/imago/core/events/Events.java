package imago.core.events;

/**
 * Event bus addresses. Events only wake consumers up: the truth is in SQL and S3, so a lost
 * message delays work but loses nothing (DESIGN.md).
 */
public final class Events {
  /** Published after each instance is durable: {tenant, studyUid, seriesUid, sopInstanceUid, sopClassUid, objectKey}. */
  public static final String INSTANCE_STORED = "instance.stored";
  /** Published once when a study has had no new instance for the quiet period: {tenant, studyUid, revision, instances}. */
  public static final String STUDY_STABLE = "study.stable";
  /**
   * Published once the inference scheduler has handled a study.stable: {tenant, studyUid, revision
   * (the study.stable's), jobs (how many it queued)}. A test waits for it instead of waiting a while.
   */
  public static final String STUDY_SCHEDULED = "study.scheduled";

  private Events() {}
}
