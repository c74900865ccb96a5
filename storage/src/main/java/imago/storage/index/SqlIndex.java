package imago.storage.index;

import imago.core.dicom.InstanceAttributes;
import imago.core.dicom.PersonNames;
import imago.core.events.Events;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryRequest;
import imago.storage.index.query.QueryResult;
import imago.storage.index.query.SqlQuery;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** {@link Index} over JDBC; the same SQL runs on H2 (PostgreSQL mode) and PostgreSQL. */
public final class SqlIndex implements Index {
  private static final String INSTANCE_COLUMNS = "i.pk, i.tenant_id, st.study_uid, se.series_uid, i.sop_instance_uid, "
      + "i.sop_class_uid, i.transfer_syntax_uid, i.object_key, i.object_size, i.dataset_offset, i.dataset_sha256, "
      + "i.source, i.stored_at FROM instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = se.study_pk";

  private final DataSource ds;
  private final GroupCommit<NewInstance, InsertResult> inserts;
  /**
   * The audit rows of every read (invariant 7: written before the answer goes out), of concurrent
   * requests in one transaction and one commit: as separate auto-commits, a page of 100 studies
   * cost 100 commits, and 16 concurrent searches queued on them.
   */
  private final GroupCommit<List<AuditEvent>, Boolean> audits;

  public SqlIndex(DataSource ds) {
    this.ds = ds;
    this.inserts = new GroupCommit<>(ds, "index insert", SqlIndex::insertIn, SqlIndex::announce);
    this.audits = new GroupCommit<>(ds, "audit", (c, events) -> {
      SqlAccess.audit(c, events);
      return true;
    });
  }

  private <T> T autoCommit(String what, Jdbc.Work<T> work) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "index " + what, work);
  }

  private <T> T transaction(String what, Jdbc.Work<T> work) throws SqlUnavailableException {
    return Jdbc.transaction(ds, "index " + what, work);
  }

  @Override
  public Optional<StoredInstance> instance(String tenantId, String sopInstanceUid) throws SqlUnavailableException {
    return autoCommit("lookup", c -> findInstance(c, tenantId, sopInstanceUid));
  }

  private static Optional<StoredInstance> findInstance(Connection c, String tenantId, String sop) throws SQLException {
    return Jdbc.first(c, "SELECT " + INSTANCE_COLUMNS + " WHERE i.tenant_id = ? AND i.sop_instance_uid = ?",
        SqlIndex::instanceRow, tenantId, sop);
  }

  private static StoredInstance instanceRow(ResultSet rs) throws SQLException {
    return new StoredInstance(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        rs.getString(6), rs.getString(7), rs.getString(8), rs.getLong(9), rs.getInt(10), rs.getString(11).trim(),
        Source.valueOf(rs.getString(12)), rs.getTimestamp(13).toInstant());
  }

  @Override
  public InsertResult insert(NewInstance n) throws SqlUnavailableException {
    return inserts.run(n);
  }

  /** One instance's rows, inside a transaction that concurrent inserts may share. */
  private static InsertResult insertIn(Connection c, NewInstance n) throws SQLException {
    InstanceAttributes a = n.attributes();
    Instant now = Instant.now();
    long patientPk = patient(c, n.tenantId(), a, now);
    long studyPk = study(c, n.tenantId(), patientPk, a, now);
    Found series = series(c, studyPk, a, now);
    Optional<StoredInstance> known = findInstance(c, n.tenantId(), a.sopInstanceUid());
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (known.isEmpty()) {
      int inserted = Jdbc.update(c, "INSERT INTO instances (tenant_id, sop_instance_uid, series_pk, "
          + "sop_class_uid, instance_number, transfer_syntax_uid, pixel_rows, pixel_columns, number_of_frames, "
          + "bits_allocated, object_key, object_size, dataset_offset, dataset_sha256, source, origin, stored_at, metadata) "
          + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          n.tenantId(), a.sopInstanceUid(), series.pk(), a.sopClassUid(), cut(a.instanceNumber(), 12),
          n.transferSyntaxUid(), a.rows(), a.columns(), a.numberOfFrames(), a.bitsAllocated(), n.objectKey(),
          n.objectSize(), n.datasetOffset(), n.datasetSha256(), n.source().name(), cut(n.origin(), 128), now,
          n.metadata());
      known = findInstance(c, n.tenantId(), a.sopInstanceUid());
      if (inserted == 1) {
        summarize(c, studyPk, series, a.modality(), now);
        if (n.audit() != null) SqlAccess.audit(c, List.of(n.audit()));
        return new InsertResult.Inserted(known.orElseThrow());
      }
      if (known.isEmpty()) awaitOtherTransaction(deadline, "instance " + a.sopInstanceUid());
    }
    return new InsertResult.Existing(known.get());
  }

  /**
   * {@code instance.stored} for each instance the batch inserted, in the batch's transaction. Last,
   * after every study row the batch updates: on H2 an outbox append holds one row until commit
   * (Outbox), and taking it before a study row that a stability claim may hold, while that claim
   * waits for it, would deadlock.
   */
  private static void announce(Connection c, List<InsertResult> results) throws SQLException {
    for (InsertResult r : results) {
      if (!(r instanceof InsertResult.Inserted inserted)) continue;
      StoredInstance i = inserted.instance();
      Outbox.record(c, Events.INSTANCE_STORED, i.tenantId(), i.studyUid(), Outbox.json("seriesUid", i.seriesUid(),
          "sopInstanceUid", i.sopInstanceUid(), "sopClassUid", i.sopClassUid(), "objectKey", i.objectKey()));
    }
  }

  /**
   * A new instance in {@code series}: keeps the per-study and per-series counts QIDO reports
   * (computed attributes, PS3.18 §10.6.3.3) and re-arms the study's stability (study.stable fires
   * again later), in one update of the study row.
   */
  private static void summarize(Connection c, long studyPk, Found series, String modality, Instant now)
      throws SQLException {
    Jdbc.update(c, "UPDATE series SET num_instances = num_instances + 1 WHERE pk = ?", series.pk());
    Jdbc.update(c, "UPDATE studies SET num_instances = num_instances + 1, num_series = num_series + ?, "
        + "revision = revision + 1, last_instance_at = ?, stable_at = NULL WHERE pk = ?",
        series.inserted() ? 1 : 0, now, studyPk);
    if (!series.inserted() || modality == null || modality.isBlank()) return;
    String current = Jdbc.first(c, "SELECT modalities FROM studies WHERE pk = ?", rs -> rs.getString(1), studyPk)
        .orElseThrow();
    java.util.TreeSet<String> all = new java.util.TreeSet<>(java.util.Arrays.asList(current.split("\\\\")));
    all.remove("");
    if (all.add(modality.trim())) {
      Jdbc.update(c, "UPDATE studies SET modalities = ? WHERE pk = ?", cut(String.join("\\", all), 160), studyPk);
    }
  }

  /** A new instance re-arms the study's stability (study.stable fires again later). */
  private static void touchStudy(Connection c, long studyPk, Instant now) throws SQLException {
    Jdbc.update(c, "UPDATE studies SET revision = revision + 1, last_instance_at = ?, stable_at = NULL WHERE pk = ?",
        now, studyPk);
  }

  private static long patient(Connection c, String tenant, InstanceAttributes a, Instant now) throws SQLException {
    String patientId = cut(a.patientId(), 64);
    String issuer = cut(a.issuerOfPatientId(), 64);
    String folded = cut(PersonNames.fold(a.patientName()), 324);
    Found p = findOrInsert(c, "SELECT pk FROM patients WHERE tenant_id = ? AND patient_id = ? AND issuer = ?",
        new Object[] {tenant, patientId, issuer},
        "INSERT INTO patients (tenant_id, patient_id, issuer, patient_name, patient_name_fuzzy, birth_date, sex, "
            + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        tenant, patientId, issuer, cut(a.patientName(), 324), folded, cut(a.patientBirthDate(), 8),
        cut(a.patientSex(), 16), now);
    if (p.inserted()) {
      // the words fuzzymatching finds the patient by (V12): in the same transaction as the patient
      for (String word : PersonNames.words(folded)) {
        Jdbc.update(c, "INSERT INTO patient_name_words (word_key, word, patient_pk) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            PersonNames.wordKey(word), word, p.pk());
      }
    }
    return p.pk();
  }

  private static long study(Connection c, String tenant, long patientPk, InstanceAttributes a, Instant now)
      throws SQLException {
    return findOrInsert(c, "SELECT pk FROM studies WHERE tenant_id = ? AND study_uid = ?",
        new Object[] {tenant, a.studyInstanceUid()},
        "INSERT INTO studies (tenant_id, study_uid, patient_pk, study_date, study_time, accession_number, "
            + "study_id, study_description, referring_physician, created_at, revision, last_instance_at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
        tenant, a.studyInstanceUid(), patientPk, cut(a.studyDate(), 8), cut(a.studyTime(), 16),
        cut(a.accessionNumber(), 64), cut(a.studyId(), 16), cut(a.studyDescription(), 64),
        cut(a.referringPhysicianName(), 324), now, now).pk();
  }

  private static Found series(Connection c, long studyPk, InstanceAttributes a, Instant now) throws SQLException {
    return findOrInsert(c, "SELECT pk FROM series WHERE study_pk = ? AND series_uid = ?",
        new Object[] {studyPk, a.seriesInstanceUid()},
        "INSERT INTO series (study_pk, series_uid, modality, series_number, series_description, body_part, "
            + "series_date, series_time, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        studyPk, a.seriesInstanceUid(), cut(a.modality(), 16), cut(a.seriesNumber(), 12),
        cut(a.seriesDescription(), 64), cut(a.bodyPartExamined(), 16), cut(a.seriesDate(), 8),
        cut(a.seriesTime(), 16), now);
  }

  /** A row's key, and whether this transaction inserted it. */
  private record Found(long pk, boolean inserted) {}

  /**
   * The row's key, inserting it first if it is new. Most instances join an existing study, so the
   * select comes first; ON CONFLICT DO NOTHING makes a concurrent first insert harmless. When the
   * conflicting row is another transaction's, still uncommitted, PostgreSQL waits for it but H2
   * answers at once and the row stays invisible until that commit: so look again, briefly.
   */
  private static Found findOrInsert(Connection c, String select, Object[] key, String insert, Object... values)
      throws SQLException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      Long pk = selectPk(c, select, key);
      if (pk != null) return new Found(pk, false);
      if (Jdbc.update(c, insert, values) == 1) return new Found(selectPk(c, select, key), true);
      awaitOtherTransaction(deadline, select);
    }
  }

  /** A conflicting row is another transaction's, not yet committed (H2 does not wait for it): pause briefly. */
  private static void awaitOtherTransaction(long deadline, String what) throws SQLException {
    if (System.nanoTime() > deadline) throw new SQLException("row still locked by another transaction: " + what);
    try {
      Thread.sleep(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted", e);
    }
  }

  /** The first column of the first row, a key or a count; null when there is no row. */
  private static Long selectPk(Connection c, String sql, Object... args) throws SQLException {
    return Jdbc.first(c, sql, rs -> rs.getLong(1), args).orElse(null);
  }

  /** Index columns have the DICOM VR's maximum length; longer (non-conformant) values are cut. */
  private static String cut(String value, int max) {
    if (value == null) return "";
    return value.length() <= max ? value : value.substring(0, max);
  }

  @Override
  public StoredInstance replace(StoredInstance existing, NewInstance n) throws SqlUnavailableException {
    return transaction("replace", c -> {
      InstanceAttributes a = n.attributes();
      Instant now = Instant.now();
      long patientPk = patient(c, n.tenantId(), a, now);
      long studyPk = study(c, n.tenantId(), patientPk, a, now);
      long seriesPk = series(c, studyPk, a, now).pk();
      int updated = Jdbc.update(c, "UPDATE instances SET series_pk = ?, sop_class_uid = ?, instance_number = ?, "
          + "transfer_syntax_uid = ?, pixel_rows = ?, pixel_columns = ?, number_of_frames = ?, bits_allocated = ?, "
          + "object_key = ?, object_size = ?, dataset_offset = ?, dataset_sha256 = ?, source = ?, origin = ?, "
          + "stored_at = ?, metadata = ? WHERE pk = ? AND dataset_sha256 = ?",
          seriesPk, a.sopClassUid(), cut(a.instanceNumber(), 12), n.transferSyntaxUid(), a.rows(), a.columns(),
          a.numberOfFrames(), a.bitsAllocated(), n.objectKey(), n.objectSize(), n.datasetOffset(),
          n.datasetSha256(), n.source().name(), cut(n.origin(), 128), now, n.metadata(), existing.pk(),
          existing.datasetSha256());
      if (updated != 1) throw new SQLException("instance changed concurrently; retry");
      touchStudy(c, studyPk, now);
      if (n.audit() != null) SqlAccess.audit(c, List.of(n.audit()));
      return findInstance(c, n.tenantId(), a.sopInstanceUid()).orElseThrow();
    });
  }

  @Override
  public void recordConflict(Conflict k) throws SqlUnavailableException {
    autoCommit("conflict record", c -> Jdbc.update(c, "INSERT INTO ingest_conflicts (tenant_id, sop_instance_uid, existing_sha256, "
        + "received_sha256, policy, outcome, source, origin, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        k.tenantId(), k.sopInstanceUid(), k.existingSha256(), k.receivedSha256(), k.policy(), k.outcome(),
        k.source().name(), cut(k.origin(), 128), Instant.now()));
  }

  @Override
  public List<Conflict> conflicts(String tenantId, String sopInstanceUid) throws SqlUnavailableException {
    return autoCommit("conflict list", c -> Jdbc.query(c, "SELECT tenant_id, sop_instance_uid, existing_sha256, "
        + "received_sha256, policy, outcome, source, origin FROM ingest_conflicts WHERE tenant_id = ? AND sop_instance_uid = ? "
        + "ORDER BY pk",
        rs -> new Conflict(rs.getString(1), rs.getString(2), rs.getString(3).trim(), rs.getString(4).trim(),
            rs.getString(5), rs.getString(6), Source.valueOf(rs.getString(7)), rs.getString(8)),
        tenantId, sopInstanceUid));
  }

  @Override
  public boolean referencesObject(String objectKey) throws SqlUnavailableException {
    return autoCommit("object lookup", c -> selectPk(c, "SELECT pk FROM instances WHERE object_key = ?", objectKey) != null);
  }

  @Override
  public List<StoredInstance> studyInstances(String tenantId, String studyUid) throws SqlUnavailableException {
    return autoCommit("study instances", c -> Jdbc.query(c, "SELECT " + INSTANCE_COLUMNS
        + " WHERE st.tenant_id = ? AND st.study_uid = ? ORDER BY se.pk, i.pk", SqlIndex::instanceRow, tenantId, studyUid));
  }

  @Override
  public void ping() throws SqlUnavailableException {
    autoCommit("ping", c -> Jdbc.first(c, "SELECT 1 FROM studies LIMIT 1", rs -> 1));
  }

  @Override
  public long instanceCount() throws SqlUnavailableException {
    return autoCommit("count", c -> selectPk(c, "SELECT COUNT(*) FROM instances"));
  }

  @Override
  public List<StableStudy> claimStableStudies(Instant quietSince, int limit) throws SqlUnavailableException {
    record Candidate(long pk, String tenant, String uid, long revision) {}
    List<Candidate> candidates = autoCommit("stable scan", c -> Jdbc.query(c, "SELECT pk, tenant_id, study_uid, "
        + "revision FROM studies WHERE stable_at IS NULL AND last_instance_at < ? ORDER BY last_instance_at LIMIT " + limit,
        rs -> new Candidate(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4)), quietSince));
    List<StableStudy> claimed = new ArrayList<>();
    for (Candidate k : candidates) {
      StableStudy s = transaction("stable claim", c -> {
        // Only one claimer wins the row, and only if no instance arrived since the scan.
        int won = Jdbc.update(c, "UPDATE studies SET stable_at = ?, stable_revision = revision "
            + "WHERE pk = ? AND revision = ? AND stable_at IS NULL", Instant.now(), k.pk(), k.revision());
        if (won != 1) return null;
        Long count = selectPk(c, "SELECT COUNT(*) FROM instances i JOIN series se ON se.pk = i.series_pk "
            + "WHERE se.study_pk = ?", k.pk());
        // announced in the claim's own transaction: the event exists exactly when the claim does
        Outbox.append(c, Events.STUDY_STABLE, k.tenant(), k.uid(), Outbox.json("revision", k.revision(), "instances",
            count));
        return new StableStudy(k.tenant(), k.uid(), k.revision(), count.intValue());
      });
      if (s != null) claimed.add(s);
    }
    return claimed;
  }

  /** WHERE clause and parameters selecting a study/series/instance within a scope. */
  private static Object[] scoped(StringBuilder where, Scope scope, String study, String series, String sop) {
    List<Object> args = new ArrayList<>(List.of(scope.bind()));
    where.append(" WHERE ").append(Scope.STUDY_CONDITION).append(" AND st.study_uid = ?");
    args.add(study);
    if (series != null) {
      where.append(" AND se.series_uid = ?");
      args.add(series);
    }
    if (sop != null) {
      where.append(" AND i.sop_instance_uid = ?");
      args.add(sop);
    }
    where.append(" ORDER BY se.pk, i.pk");
    return args.toArray();
  }

  @Override
  public List<StoredInstance> instances(Scope scope, String studyUid, String seriesUid, String sopInstanceUid)
      throws SqlUnavailableException {
    return autoCommit("scoped instances", c -> {
      StringBuilder sql = new StringBuilder("SELECT " + INSTANCE_COLUMNS);
      Object[] args = scoped(sql, scope, studyUid, seriesUid, sopInstanceUid);
      return Jdbc.query(c, sql.toString(), SqlIndex::instanceRow, args);
    });
  }

  @Override
  public List<byte[]> metadata(Scope scope, String studyUid, String seriesUid, String sopInstanceUid)
      throws SqlUnavailableException {
    return autoCommit("metadata", c -> {
      StringBuilder sql = new StringBuilder("SELECT i.metadata FROM instances i JOIN series se ON se.pk = i.series_pk "
          + "JOIN studies st ON st.pk = se.study_pk");
      Object[] args = scoped(sql, scope, studyUid, seriesUid, sopInstanceUid);
      return Jdbc.query(c, sql.toString(), rs -> rs.getBytes(1), args);
    });
  }

  @Override
  public QueryResult query(Scope scope, QueryRequest request) throws SqlUnavailableException, InvalidQueryException {
    return new SqlQuery(ds).run(scope, request);
  }

  @Override
  public void audit(List<AuditEvent> events) throws SqlUnavailableException {
    if (!events.isEmpty()) audits.run(events);
  }

  @Override
  public void revokeToken(String jti, Instant expiresAt) throws SqlUnavailableException {
    autoCommit("token revocation", c -> Jdbc.update(c, "INSERT INTO revoked_tokens (jti, revoked_at, expires_at) VALUES (?, ?, ?) "
        + "ON CONFLICT DO NOTHING", jti, Instant.now(), expiresAt));
  }

  @Override
  public boolean tokenRevoked(String jti) throws SqlUnavailableException {
    return autoCommit("token check", c -> Jdbc.first(c, "SELECT 1 FROM revoked_tokens WHERE jti = ?", rs -> true, jti))
        .isPresent();
  }

  @Override
  public List<AuditEvent> auditOfStudy(String tenantId, String studyUid) throws SqlUnavailableException {
    return autoCommit("audit list", c -> SqlAccess.auditOfStudy(c, tenantId, studyUid));
  }

  @Override
  public List<AuditEvent> auditSearch(String tenantId, Instant since, Instant until, String subject, String action,
      String studyUid, int limit) throws SqlUnavailableException {
    return autoCommit("audit search", c -> SqlAccess.auditSearch(c, tenantId, since, until, subject, action, studyUid, limit));
  }

  @Override
  public Optional<Share> share(String tenantId, String studyUid, String grantee, String grantedBy, Instant expiresAt)
      throws SqlUnavailableException {
    return autoCommit("share", c -> SqlAccess.share(c, tenantId, studyUid, grantee, grantedBy, expiresAt));
  }

  @Override
  public List<Share> shares(String tenantId, String studyUid, int limit) throws SqlUnavailableException {
    return autoCommit("share list", c -> SqlAccess.shares(c, tenantId, studyUid, limit));
  }

  @Override
  public Optional<String> revokeShare(String tenantId, long shareId) throws SqlUnavailableException {
    return autoCommit("share revocation", c -> SqlAccess.revokeShare(c, tenantId, shareId));
  }
}
