package imago.storage.index;

import imago.core.dicom.InstanceAttributes;

/**
 * An instance whose object is in S3 and whose rows are about to be written. {@code metadata} is
 * its DICOM JSON (PS3.18 Annex F, without Pixel Data), gzip-compressed: WADO-RS metadata is served
 * from it, never by re-reading objects. {@code audit}: a row committed with the instance's rows
 * when they are written (the write's audit row, invariant 7), or null.
 */
public record NewInstance(String tenantId, InstanceAttributes attributes, String transferSyntaxUid,
    String objectKey, long objectSize, int datasetOffset, String datasetSha256, Source source, String origin,
    byte[] metadata, AuditEvent audit) {

  /** An instance whose write leaves no audit row of its own (Imago's own writes, recovery). */
  public NewInstance(String tenantId, InstanceAttributes attributes, String transferSyntaxUid, String objectKey,
      long objectSize, int datasetOffset, String datasetSha256, Source source, String origin, byte[] metadata) {
    this(tenantId, attributes, transferSyntaxUid, objectKey, objectSize, datasetOffset, datasetSha256, source, origin,
        metadata, null);
  }
}
