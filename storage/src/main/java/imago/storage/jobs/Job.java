package imago.storage.jobs;

import java.time.Instant;

/**
 * One (series, model version, input) to run; {@code result} is the JSON the worker wrote, once.
 *
 * @param shadow a shadow version's job: its result is JSON only (no SR/SEG in the study), kept out of
 *     every clinical output (FSE links, their FHIR Bundle, KOS, download, notifications) and shown
 *     only within the job's tenant, to its admins and region operators, and to its researchers when
 *     that tenant owns the model
 */
public record Job(long id, String tenantId, String studyUid, String seriesUid, String modelName, String modelVersion,
    String inputKey, int instances, Long runId, JobState state, int attempts, Instant notBefore, String leaseOwner,
    Instant leaseUntil, String reason, String result, Instant createdAt, Instant updatedAt, Instant finishedAt,
    boolean shadow) {}
