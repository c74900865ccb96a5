package imago.core.events;

/**
 * Event topics. {@link #INSTANCE_STORED}, {@link #STUDY_STABLE} and {@link #INFERENCE_RESULT} are
 * written to the outbox (imago.storage.index.Outbox) in the transaction of the fact they announce,
 * and handled cluster-wide by durable consumers; each node also publishes them on its own Vert.x
 * event bus for in-process observers.
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

  /** A job finished and its results are stored: {tenant, studyInstanceUID, job, model, version, series}. */
  public static final String INFERENCE_RESULT = "inference.result";

  private Events() {}
}
