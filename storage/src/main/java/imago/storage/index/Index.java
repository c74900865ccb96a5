package imago.storage.index;

import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryRequest;
import imago.storage.index.query.QueryResult;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The door to the SQL index: the only way other modules read or write its tables. */
public interface Index {

  /** The outcome of {@link #insert}: our row, or the row that was already there. */
  sealed interface InsertResult {
    StoredInstance instance();

    record Inserted(StoredInstance instance) implements InsertResult {}

    record Existing(StoredInstance instance) implements InsertResult {}
  }

  /** A store of a known SOP Instance UID with other bytes, and what the policy made of it. */
  record Conflict(String tenantId, String sopInstanceUid, String existingSha256, String receivedSha256,
      String policy, String outcome, Source source, String origin) {}

  Optional<StoredInstance> instance(String tenantId, String sopInstanceUid) throws SqlUnavailableException;

  /**
   * Writes patient, study, series and instance rows in one transaction, with the instance's audit
   * row if it carries one; if the SOP Instance UID is already indexed for the tenant, writes
   * nothing and returns the existing row.
   */
  InsertResult insert(NewInstance instance) throws SqlUnavailableException;

  /** Points an existing SOP Instance at a new object (duplicate policy "replace"), with the replacement's audit row if any. */
  StoredInstance replace(StoredInstance existing, NewInstance replacement) throws SqlUnavailableException;

  void recordConflict(Conflict conflict) throws SqlUnavailableException;

  /** Whether any instance row points at this object key (start-up recovery asks, before re-indexing it). */
  boolean referencesObject(String objectKey) throws SqlUnavailableException;

  List<StoredInstance> studyInstances(String tenantId, String studyUid) throws SqlUnavailableException;

  List<Conflict> conflicts(String tenantId, String sopInstanceUid) throws SqlUnavailableException;

  long instanceCount() throws SqlUnavailableException;

  /** Answers when the index can be reached and read, in constant time whatever its size (readiness checks). */
  void ping() throws SqlUnavailableException;

  /**
   * Claims studies whose last instance arrived before {@code quietSince} and that have not been
   * announced since: each claimed study is returned by exactly one caller, across processes.
   */
  List<StableStudy> claimStableStudies(Instant quietSince, int limit) throws SqlUnavailableException;

  /**
   * The instances of a study, series or single instance that {@code scope} may see, in series then
   * instance order ({@code seriesUid} and {@code sopInstanceUid} may be null for "all").
   */
  List<StoredInstance> instances(Scope scope, String studyUid, String seriesUid, String sopInstanceUid)
      throws SqlUnavailableException;

  /** Like {@link #instances}, but each instance's DICOM JSON kept at ingest (gzip), in the same order. */
  List<byte[]> metadata(Scope scope, String studyUid, String seriesUid, String sopInstanceUid)
      throws SqlUnavailableException;

  /**
   * The patients, studies, series or instances {@code scope} may see that match {@code request}
   * (QIDO-RS, C-FIND), one page of them, from indexed columns and summaries only.
   *
   * @throws InvalidQueryException a matching key the index cannot match, or a malformed value
   */
  QueryResult query(Scope scope, QueryRequest request) throws SqlUnavailableException, InvalidQueryException;

  void audit(List<AuditEvent> events) throws SqlUnavailableException;

  /**
   * Who accessed the tenant's copy of a study: its own users, and the people it shared the study
   * with (each audit row names whose copy it was). Another tenant holding the same Study Instance
   * UID sees its own copy's rows only. Null tenant: every row of that UID (operators' tools and tests).
   */
  List<AuditEvent> auditOfStudy(String tenantId, String studyUid) throws SqlUnavailableException;

  /** Accesses to the tenant's studies, newest first, filtered by time, subject, action and study where given (null: any). */
  List<AuditEvent> auditSearch(String tenantId, Instant since, Instant until, String subject, String action, String studyUid,
      int limit) throws SqlUnavailableException;

  /** Revokes the bearer token with this {@code jti} (kept until {@code expiresAt}, after which it is refused anyway). */
  void revokeToken(String jti, Instant expiresAt) throws SqlUnavailableException;

  boolean tokenRevoked(String jti) throws SqlUnavailableException;

  /** Shares a study of {@code tenantId} with a person; empty when the tenant has no such study. */
  Optional<Share> share(String tenantId, String studyUid, String grantee, String grantedBy, Instant expiresAt)
      throws SqlUnavailableException;

  /** The tenant's newest shares (ended ones too), newest first; of one study when {@code studyUid} is not null. */
  List<Share> shares(String tenantId, String studyUid, int limit) throws SqlUnavailableException;

  /** Ends a share of the tenant's study at once: the Study Instance UID it shared, empty when the tenant has no such share. */
  Optional<String> revokeShare(String tenantId, long shareId) throws SqlUnavailableException;
}
