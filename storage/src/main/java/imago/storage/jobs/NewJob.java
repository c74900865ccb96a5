package imago.storage.jobs;

/**
 * A job to create unless the same (tenant, series, model version, input key) exists.
 *
 * @param shadow the version runs in shadow mode: its results are not clinical (see {@link Job#shadow()})
 */
public record NewJob(String tenantId, String studyUid, String seriesUid, String modelName, String modelVersion,
    String inputKey, int instances, Long runId, boolean shadow) {}
