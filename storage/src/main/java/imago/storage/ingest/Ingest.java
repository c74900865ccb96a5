package imago.storage.ingest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.core.dicom.DatasetWalker;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.InstanceAttributes;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import imago.core.dicom.json.AttributeListJson;
import imago.core.dicom.json.DicomJsonWriter;
import imago.core.io.Spool;
import imago.storage.StorageConfig.DuplicatePolicy;
import imago.storage.index.AuditEvent;
import imago.storage.index.Index.InsertResult;
import imago.storage.index.Index;
import imago.storage.index.NewInstance;
import imago.storage.index.Source;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore.StorageUnavailableException;
import imago.storage.object.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one ingest path (C-STORE, STOW-RS, import, inference results): validate -> hash -> journal
 * the key -> object put (durable) -> index transaction -> tell listeners. A success outcome means
 * the object is durable and its rows are committed (invariant 1); a failure before the commit
 * leaves no index row, and an object already put is removed, or, after a crash, re-indexed by
 * start-up recovery from the journal (the sender may have retried; duplicates are idempotent).
 */
public final class Ingest {
  private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);
  /** Objects read back for reindexing are held in memory up to this size, then in a temporary file. */
  private static final int REINDEX_IN_MEMORY = 32 * 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectStore store;
  private final Index index;
  private final IngestJournal journal;
  private final DuplicatePolicy policy;
  private final IngestListener listener;
  private final IngestTimings timings;

  public Ingest(ObjectStore store, Index index, IngestJournal journal, DuplicatePolicy policy, IngestListener listener) {
    this(store, index, journal, policy, listener, IngestTimings.NONE);
  }

  public Ingest(ObjectStore store, Index index, IngestJournal journal, DuplicatePolicy policy, IngestListener listener,
      IngestTimings timings) {
    this.store = store;
    this.index = index;
    this.journal = journal;
    this.policy = policy;
    this.listener = listener;
    this.timings = timings;
  }

  /** Where this ingest path records its stage times; protocols add theirs (receive, respond). */
  public IngestTimings timings() {
    return timings;
  }

  /** A spool for one incoming object, where the object store takes it without a copy. */
  public Spool newSpool() {
    return store.newSpool();
  }

  /** A parsed, validated object ready to store. */
  private record Checked(InstanceAttributes attributes, String transferSyntaxUid, int datasetOffset,
      String datasetSha256, long objectSize, byte[] metadata) {}

  public IngestOutcome store(IngestRequest request) {
    try {
      store.received(request.content()); // the object's fsync overlaps the checks and the journal
    } catch (RuntimeException e) { // only a hint: put() then makes the object durable itself
      LOG.debug("event=ingest.early_sync.skipped reason=\"{}\"", e.toString());
    }
    Checked checked;
    try {
      checked = check(request.content().buffer(), request.expect(), timings);
    } catch (MalformedDicomException e) {
      Named named = named(request);
      return IngestOutcome.refused(e.status(), e.getMessage(), named.sopClassUid(), named.sopInstanceUid());
    } catch (IOException e) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "cannot read received bytes: " + e.getMessage(),
          request.expect().sopClassUid(), request.expect().sopInstanceUid());
    }
    InstanceAttributes a = checked.attributes();
    AuditEvent audit = request.audit() == null ? null : request.audit().rowFor(a.studyInstanceUid());
    try {
      IngestOutcome outcome = store(request, checked, audit);
      if (audit != null && outcome.ok()) {
        // A byte-identical re-send writes no rows, so its audit row has no transaction to join.
        if (outcome.duplicate()) index.audit(List.of(audit));
        request.audit().recorded(a.studyInstanceUid());
      }
      return outcome;
    } catch (StorageUnavailableException e) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "object storage unavailable: " + e.getMessage(),
          a.sopClassUid(), a.sopInstanceUid());
    } catch (SqlUnavailableException e) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "index unavailable: " + e.getMessage(),
          a.sopClassUid(), a.sopInstanceUid());
    } catch (IOException | RuntimeException e) {
      LOG.error("event=ingest.error tenant={} sop={}", request.tenant().id(), a.sopInstanceUid(), e);
      return IngestOutcome.refused(DicomStatus.PROCESSING_FAILURE, "processing failure: " + e,
          a.sopClassUid(), a.sopInstanceUid());
    }
  }

  /** A checked object: the duplicate policy, then journal, object write and index commit (with {@code audit}, if any). */
  private IngestOutcome store(IngestRequest request, Checked checked, AuditEvent audit)
      throws IOException, SqlUnavailableException {
    InstanceAttributes a = checked.attributes();
    long t = System.nanoTime();
    Optional<StoredInstance> existing = index.instance(request.tenant().id(), a.sopInstanceUid());
    timings.record(IngestTimings.Stage.LOOKUP, System.nanoTime() - t);
    if (existing.isPresent()) {
      IngestOutcome known = againstExisting(request.source(), request.origin(), checked, existing.get());
      if (known != null) return known;
    }
    String key = objectKey(request.tenant().id(), a, checked.datasetSha256());
    t = System.nanoTime();
    try (IngestJournal.Ticket ticket = journal.begin(key, request.source(), request.origin())) {
      t = lap(IngestTimings.Stage.JOURNAL, t);
      upload(request, checked, key);
      lap(IngestTimings.Stage.WRITE, t);
      NewInstance row = new NewInstance(request.tenant().id(), a, checked.transferSyntaxUid(), key,
          checked.objectSize(), checked.datasetOffset(), checked.datasetSha256(), request.source(), request.origin(),
          checked.metadata(), audit);
      return commit(row, existing.orElse(null), request.source(), request.origin(), checked);
    }
  }

  /**
   * Writes the rows of an object now in the store at {@code row.objectKey()}: a new instance, or
   * {@code existing} replaced under the duplicate policy. Removes the object again when the rows
   * cannot be written or another row wins.
   */
  private IngestOutcome commit(NewInstance row, StoredInstance existing, Source source, String origin, Checked checked)
      throws SqlUnavailableException {
    String key = row.objectKey();
    InsertResult result;
    long t = System.nanoTime();
    try {
      result = existing != null ? new InsertResult.Inserted(index.replace(existing, row)) : index.insert(row);
      lap(IngestTimings.Stage.COMMIT, t);
    } catch (SqlUnavailableException e) {
      removeQuietly(key);
      throw e;
    }
    if (result instanceof InsertResult.Existing e) {
      // Lost a race with a concurrent store of the same SOP Instance UID.
      IngestOutcome known = againstExisting(source, origin, checked, e.instance());
      if (known != null) {
        if (!e.instance().objectKey().equals(key)) removeQuietly(key);
        return known;
      }
      return commit(row, e.instance(), source, origin, checked);
    }
    if (existing != null && !existing.objectKey().equals(key)) removeQuietly(existing.objectKey());
    listener.stored(result.instance());
    return IngestOutcome.stored(result.instance(), false);
  }

  /**
   * Indexes an object already in the store (start-up recovery, {@code imago reindex}): the tenant
   * comes from its key, everything else from its bytes. The key must be the one ingest would have
   * given these bytes. An instance indexed already under this key is a success (duplicate).
   */
  public IngestOutcome reindex(String key, Source source, String origin) {
    String tenant = key.substring(0, Math.max(0, key.indexOf('/')));
    try (Spool spool = new Spool(Path.of(System.getProperty("java.io.tmpdir")), REINDEX_IN_MEMORY)) {
      Optional<InputStream> in = store.get(key);
      if (in.isEmpty()) return IngestOutcome.refused(DicomStatus.PROCESSING_FAILURE, "no object " + key, null, null);
      try (InputStream body = in.get()) {
        byte[] buf = new byte[65536];
        for (int n; (n = body.read(buf)) > 0; ) spool.write(buf, 0, n);
      }
      Checked checked = check(spool.buffer(), IngestRequest.Expectations.NONE, IngestTimings.NONE);
      InstanceAttributes a = checked.attributes();
      if (tenant.isEmpty() || !objectKey(tenant, a, checked.datasetSha256()).equals(key)) {
        return IngestOutcome.refused(DicomStatus.PROCESSING_FAILURE, "object " + key
            + " does not hold the instance its key names (altered or not written by Imago)", a.sopClassUid(),
            a.sopInstanceUid());
      }
      NewInstance row = new NewInstance(tenant, a, checked.transferSyntaxUid(), key, checked.objectSize(),
          checked.datasetOffset(), checked.datasetSha256(), source, origin, checked.metadata());
      InsertResult result = index.insert(row);
      if (result instanceof InsertResult.Existing e && !e.instance().objectKey().equals(key)) {
        return IngestOutcome.refused(DicomStatus.DUPLICATE_SOP_INSTANCE, "instance indexed already under "
            + e.instance().objectKey(), a.sopClassUid(), a.sopInstanceUid());
      }
      if (result instanceof InsertResult.Inserted) listener.stored(result.instance());
      return IngestOutcome.stored(result.instance(), result instanceof InsertResult.Existing);
    } catch (MalformedDicomException e) {
      return IngestOutcome.refused(e.status(), "object " + key + ": " + e.getMessage(), null, null);
    } catch (IOException | SqlUnavailableException e) {
      return IngestOutcome.refused(DicomStatus.OUT_OF_RESOURCES, "object " + key + ": " + e.getMessage(), null, null);
    }
  }

  /**
   * Invariant 2: identical bytes are an idempotent success; other bytes follow the policy and are
   * audited. Returns null when the new object should replace the existing one.
   */
  private IngestOutcome againstExisting(Source source, String origin, Checked checked, StoredInstance existing)
      throws SqlUnavailableException {
    if (existing.datasetSha256().equals(checked.datasetSha256())) return IngestOutcome.stored(existing, true);
    boolean replace = policy == DuplicatePolicy.REPLACE;
    index.recordConflict(new Index.Conflict(existing.tenantId(), existing.sopInstanceUid(),
        existing.datasetSha256(), checked.datasetSha256(), policy.name().toLowerCase(),
        replace ? "replaced" : "rejected", source, origin));
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
    if (sopClass == null || sopInstance == null) {
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

  private long lap(IngestTimings.Stage stage, long since) {
    long now = System.nanoTime();
    timings.record(stage, now - since);
    return now;
  }

  private static Checked check(ByteBuffer all, IngestRequest.Expectations x, IngestTimings timings)
      throws MalformedDicomException, IOException {
    long t0 = System.nanoTime();
    Part10.Header header = Part10.parse(all);
    String ts = header.transferSyntaxUid();
    int offset = header.datasetOffset();
    ByteBuffer dataset = all.duplicate().position(all.position() + offset);
    DatasetWalker.validate(dataset, ts);
    long t1 = System.nanoTime();
    timings.record(IngestTimings.Stage.VALIDATE, t1 - t0);
    com.pixelmed.dicom.AttributeList list = InstanceAttributes.parse(dataset, ts);
    InstanceAttributes a = InstanceAttributes.from(list);
    a.requireIdentity();
    long t2 = System.nanoTime();
    timings.record(IngestTimings.Stage.PARSE, t2 - t1);
    if (x.sopClassUid() != null && !x.sopClassUid().equals(a.sopClassUid())) {
      throw new MalformedDicomException(DicomStatus.DATASET_DOES_NOT_MATCH_SOP_CLASS, "data set SOP Class UID "
          + a.sopClassUid() + " does not match the request's " + x.sopClassUid());
    }
    if (x.sopInstanceUid() != null && !x.sopInstanceUid().equals(a.sopInstanceUid())) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_INSTANCE_MISMATCH, "data set SOP Instance UID "
          + a.sopInstanceUid() + " does not match the request's " + x.sopInstanceUid());
    }
    if (header.sopInstanceUid() != null && !header.sopInstanceUid().isEmpty()
        && !header.sopInstanceUid().equals(a.sopInstanceUid())) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_INSTANCE_MISMATCH,
          "File Meta Information names SOP Instance " + header.sopInstanceUid() + " but the data set is " + a.sopInstanceUid());
    }
    if (x.studyUid() != null && !x.studyUid().equals(a.studyInstanceUid())) {
      throw new MalformedDicomException(DicomStatus.CANNOT_UNDERSTAND_WRONG_STUDY, "instance belongs to study "
          + a.studyInstanceUid() + ", not to " + x.studyUid());
    }
    String sha = sha256(all.duplicate().position(all.position() + offset));
    long t3 = System.nanoTime();
    timings.record(IngestTimings.Stage.HASH, t3 - t2);
    byte[] metadata = gzip(AttributeListJson.toJson(list));
    timings.record(IngestTimings.Stage.METADATA, System.nanoTime() - t3);
    return new Checked(a, ts, offset, sha, all.remaining(), metadata);
  }

  private void upload(IngestRequest r, Checked c, String key) throws StorageUnavailableException {
    store.put(key, r.content(), "application/dicom", Map.of(
        "dataset-sha256", c.datasetSha256(),
        "sop-class-uid", c.attributes().sopClassUid(),
        "transfer-syntax-uid", c.transferSyntaxUid(),
        "tenant", r.tenant().id()));
  }

  /** Whether {@code key} names an instance object ({@code tenant/study/series/sop.tag.dcm}). */
  public static boolean isInstanceKey(String key) {
    return key.endsWith(".dcm") && key.chars().filter(ch -> ch == '/').count() == 3;
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
      LOG.warn("event=ingest.cleanup.failed key={} reason=\"{}\" (the object stays in the store without an index row)", key, e.getMessage());
    }
  }

  /**
   * The data set's DICOM JSON, gzipped at the fastest level: it is written once per instance on
   * the ingest path and read rarely, so compression speed matters more than the last few percent.
   */
  private static byte[] gzip(DicomJsonWriter json) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try (GZIPOutputStream z = new GZIPOutputStream(out, 8192) {
           { def.setLevel(Deflater.BEST_SPEED); }
         };
         JsonGenerator g = JSON.getFactory().createGenerator(z)) {
      json.writeTo(g);
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
