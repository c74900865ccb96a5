package imago.storage.models;

/** What registering a version writes: everything but its state, which starts as registered. */
public record NewModelVersion(String name, String version, String tenantId, String framework, String task,
    String artifactKey, String artifactSha256, long artifactSize, String deviceUid, String manifestJson,
    String registeredBy) {}
