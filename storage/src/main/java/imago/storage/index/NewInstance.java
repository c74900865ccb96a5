package imago.storage.index;

import imago.core.dicom.InstanceAttributes;

/**
 * An instance whose object is in S3 and whose rows are about to be written. {@code metadata} is
 * its DICOM JSON (PS3.18 Annex F, without Pixel Data), gzip-compressed: WADO-RS metadata is served
 * from it, never by re-reading objects.
 */
public record NewInstance(String tenantId, InstanceAttributes attributes, String transferSyntaxUid,
    String objectKey, long objectSize, int datasetOffset, String datasetSha256, Source source, String origin,
    byte[] metadata) {}
