package imago.storage.index;

import imago.core.dicom.InstanceAttributes;

/** An instance whose object is in S3 and whose rows are about to be written. */
public record NewInstance(String tenantId, InstanceAttributes attributes, String transferSyntaxUid,
    String objectKey, long objectSize, int datasetOffset, String datasetSha256, Source source, String origin) {}
