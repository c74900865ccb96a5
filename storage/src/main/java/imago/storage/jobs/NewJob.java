package imago.storage.jobs;

/** A job to create unless the same (tenant, series, model version, input key) exists. */
public record NewJob(String tenantId, String studyUid, String seriesUid, String modelName, String modelVersion,
    String inputKey, int instances, Long runId) {}
