package imago.storage.ingest;

import imago.core.dicom.DatasetWalker;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.InstanceAttributes;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Part10;
import imago.core.dicom.json.AttributeListJson;
import imago.core.dicom.Uids;
import imago.storage.StorageConfig.DuplicatePolicy;
import imago.storage.index.Index;
import imago.storage.index.Index.InsertResult;
import imago.storage.index.IndexUnavailableException;
import imago.storage.index.NewInstance;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore;
import imago.storage.object.ObjectStore.StorageUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one ingest path (C-STORE, STOW-RS, import, inference results):
 * validate -> hash -> S3 put -> index transaction -> tell listeners. A success outcome means the
 * object is in S3 and its rows are committed (invariant 1); any failure before that leaves no
 * index row, and an object already uploaded is removed (or, after a crash, swept at start-up).
 */
public final class Ingest {
  private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

  private final ObjectStore store;
  private final Index index;
  private final DuplicatePolicy policy;
  private final IngestListener listener;

  public Ingest(ObjectStore store, Index index, DuplicatePolicy policy, IngestListener listener) {
    this.store = store;
    this.index = index;
    this.policy = policy;
    this.listener = listener;
  }

  /** A parsed, validated object ready to upload. */
  private record Checked(InstanceAttributes attributes, String transferSyntaxUid, int datasetOffset,
      String datasetSha256, byte[] fileMeta, long objectSize, byte[] metadata) {}

  public IngestOutcome store(IngestRequest request) {
    Checked checked;
    try {
      checked = check(request);
    } catch (MalformedDicomException e) {
      Named named = named(request);
      return IngestOutcome.refused(e.status(), e.getMessage(), named.sopClassUid(), named.sopInstanceUid());
    } catch (IOException e) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "cannot read received bytes: " + e.getMessage(),
          request.expect().sopClassUid(), request.expect().sopInstanceUid());
    }
    InstanceAttributes a = checked.attributes();
    try {
      Optional<StoredInstance> existing = index.instance(request.tenant().id(), a.sopInstanceUid());
      if (existing.isPresent()) {
        IngestOutcome known = againstExisting(request, checked, existing.get());
        if (known != null) return known;
      }
      String key = objectKey(request.tenant().id(), a, checked.datasetSha256());
      upload(request, checked, key);
      NewInstance row = new NewInstance(request.tenant().id(), a, checked.transferSyntaxUid(), key,
          checked.objectSize(), checked.datasetOffset(), checked.datasetSha256(), request.source(), request.origin(),
          checked.metadata());
      InsertResult result;
      try {
        result = existing.isPresent() ? new InsertResult.Inserted(index.replace(existing.get(), row)) : index.insert(row);
      } catch (IndexUnavailableException e) {
        removeQuietly(key);
        throw e;
      }
      if (result instanceof InsertResult.Existing e) {
        // Lost a race with a concurrent store of the same SOP Instance UID.
        if (!e.instance().objectKey().equals(key)) removeQuietly(key);
        IngestOutcome known = againstExisting(request, checked, e.instance());
        if (known != null) return known;
        return store(request);
      }
      if (existing.isPresent() && !existing.get().objectKey().equals(key)) removeQuietly(existing.get().objectKey());
      listener.stored(result.instance());
      return IngestOutcome.stored(result.instance(), false);
    } catch (StorageUnavailableException e) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "object storage unavailable: " + e.getMessage(),
          a.sopClassUid(), a.sopInstanceUid());
    } catch (IndexUnavailableException e) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "index unavailable: " + e.getMessage(),
          a.sopClassUid(), a.sopInstanceUid());
    } catch (IOException | RuntimeException e) {
      LOG.error("event=ingest.error tenant={} sop={}", request.tenant().id(), a.sopInstanceUid(), e);
      return IngestOutcome.refused(DicomStatus.PROCESSING_FAILURE, "processing failure: " + e,
          a.sopClassUid(), a.sopInstanceUid());
    }
  }

  /**
   * Invariant 2: identical bytes are an idempotent success; other bytes follow the policy and are
   * audited. Returns null when the new object should replace the existing one.
   */
  private IngestOutcome againstExisting(IngestRequest request, Checked checked, StoredInstance existing)
      throws IndexUnavailableException {
    if (existing.datasetSha256().equals(checked.datasetSha256())) return IngestOutcome.stored(existing, true);
    boolean replace = policy == DuplicatePolicy.REPLACE;
    index.recordConflict(new Index.Conflict(request.tenant().id(), existing.sopInstanceUid(),
        existing.datasetSha256(), checked.datasetSha256(), policy.name().toLowerCase(),
        replace ? "replaced" : "rejected", request.source(), request.origin()));
    if (replace) return null;
    return IngestOutcome.refused(DicomStatus.DUPLICATE_SOP_INSTANCE,
        "SOP Instance UID already stored with different content (duplicate policy: reject)",
        checked.attributes().sopClassUid(), existing.sopInstanceUid());
  }

  /** The UIDs a refused object goes by. */
  private record Named(String sopClassUid, String sopInstanceUid) {}

  /**
   * PS3.18 Table 10.5.3-1: a Failed SOP Sequence item names the instance. A refused object is
   * named as its sender named it: by the DIMSE command, else by its File Meta Information (a
   * truncated data set or one of the wrong study still has one), else not at all (garbage).
   */
  private static Named named(IngestRequest r) {
    String sopClass = r.expect().sopClassUid();
    String sopInstance = r.expect().sopInstanceUid();
    if (r.encoding() == IngestRequest.Encoding.PART10 && (sopClass == null || sopInstance == null)) {
      try {
        Part10.Header h = Part10.parse(r.content().buffer());
        if (sopClass == null && Uids.isValid(h.sopClassUid())) sopClass = h.sopClassUid();
        if (sopInstance == null && Uids.isValid(h.sopInstanceUid())) sopInstance = h.sopInstanceUid();
      } catch (MalformedDicomException | IOException e) {
        // no readable File Meta Information: nothing to name it by
      }
    }
    return new Named(sopClass, sopInstance);
  }

  private Checked check(IngestRequest r) throws MalformedDicomException, IOException {
    ByteBuffer all = r.content().buffer();
    String ts;
    int offset;
    Part10.Header header = null;
    if (r.encoding() == IngestRequest.Encoding.PART10) {
      header = Part10.parse(all);
      ts = header.transferSyntaxUid();
      offset = header.datasetOffset();
    } else {
      ts = r.transferSyntaxUid();
      offset = 0;
    }
    ByteBuffer dataset = all.duplicate().position(offset);
    DatasetWalker.validate(dataset, ts);
    com.pixelmed.dicom.AttributeList list = InstanceAttributes.parse(dataset, ts);
    InstanceAttributes a = InstanceAttributes.from(list);
    a.requireIdentity();
    IngestRequest.Expectations x = r.expect();
    if (x.sopClassUid() != null && !x.sopClassUid().equals(a.sopClassUid())) {
      throw new MalformedDicomException(DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, "data set SOP Class UID "
          + a.sopClassUid() + " does not match the request's " + x.sopClassUid());
    }
    if (x.sopInstanceUid() != null && !x.sopInstanceUid().equals(a.sopInstanceUid())) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_INSTANCE_MISMATCH, "data set SOP Instance UID "
          + a.sopInstanceUid() + " does not match the request's " + x.sopInstanceUid());
    }
    if (header != null && header.sopInstanceUid() != null && !header.sopInstanceUid().isEmpty()
        && !header.sopInstanceUid().equals(a.sopInstanceUid())) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_INSTANCE_MISMATCH,
          "File Meta Information names SOP Instance " + header.sopInstanceUid() + " but the data set is " + a.sopInstanceUid());
    }
    if (x.studyUid() != null && !x.studyUid().equals(a.studyInstanceUid())) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_WRONG_STUDY, "instance belongs to study "
          + a.studyInstanceUid() + ", not to " + x.studyUid());
    }
    String sha = sha256(all.duplicate().position(offset));
    byte[] meta = null;
    long size = all.remaining();
    if (r.encoding() == IngestRequest.Encoding.DATASET) {
      meta = Part10.fileMetaInformation(a.sopClassUid(), a.sopInstanceUid(), ts, r.origin());
      offset = meta.length;
      size += meta.length;
    }
    return new Checked(a, ts, offset, sha, meta, size, gzip(AttributeListJson.toJson(list).toString()));
  }

  private void upload(IngestRequest r, Checked c, String key) throws IOException {
    InputStream body = r.content().open();
    if (c.fileMeta() != null) body = new SequenceInputStream(new ByteArrayInputStream(c.fileMeta()), body);
    try (InputStream in = body) {
      store.put(key, in, c.objectSize(), "application/dicom", Map.of(
          "dataset-sha256", c.datasetSha256(),
          "sop-class-uid", c.attributes().sopClassUid(),
          "transfer-syntax-uid", c.transferSyntaxUid(),
          "tenant", r.tenant().id()));
    }
  }

  /** tenant/study/series/instance, with a content tag so a conflicting upload never overwrites. */
  static String objectKey(String tenant, InstanceAttributes a, String sha256) {
    return tenant + "/" + a.studyInstanceUid() + "/" + a.seriesInstanceUid() + "/" + a.sopInstanceUid() + "."
        + sha256.substring(0, 16) + ".dcm";
  }

  private void removeQuietly(String key) {
    try {
      store.remove(key);
    } catch (IOException e) {
      LOG.warn("event=ingest.cleanup.failed key={} reason=\"{}\" (the start-up orphan sweep removes it)", key, e.getMessage());
    }
  }

  private static byte[] gzip(String json) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(json.length() / 4);
    try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
      z.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  static String sha256(ByteBuffer bytes) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(bytes);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
