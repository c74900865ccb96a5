package imago.models.registry;

/** The {@code models} section of the configuration (imago-defaults.yaml documents every key). */
public record ModelsConfig(long maxUploadBytes, long maxUnpackedBytes, long syncValidationBytes, int dryRunBatch,
    double promotionMargin) {}
