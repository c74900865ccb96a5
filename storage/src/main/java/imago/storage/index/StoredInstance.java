package imago.storage.index;

import java.time.Instant;

/** One indexed instance and where its bytes are. */
public record StoredInstance(long pk, String tenantId, String studyUid, String seriesUid, String sopInstanceUid,
    String sopClassUid, String transferSyntaxUid, String objectKey, long objectSize, int datasetOffset,
    String datasetSha256, Source source, Instant storedAt) {}
