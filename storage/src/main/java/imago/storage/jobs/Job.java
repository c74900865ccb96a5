package imago.storage.jobs;

import java.time.Instant;

/** One (series, model version, input) to run; {@code result} is the JSON the worker wrote, once. */
public record Job(long id, String tenantId, String studyUid, String seriesUid, String modelName, String modelVersion,
    String inputKey, int instances, Long runId, JobState state, int attempts, Instant notBefore, String leaseOwner,
    Instant leaseUntil, String reason, String result, Instant createdAt, Instant updatedAt, Instant finishedAt) {}
