package imago.storage.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Shares and the audit trail, over JDBC (the part of {@link SqlIndex} about who sees what). */
final class SqlAccess {
  private SqlAccess() {}

  static void audit(Connection c, List<AuditEvent> events) throws SQLException {
    if (events.isEmpty()) return;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit (at, subject, tenant_id, role, action, study_uid, "
        + "series_uid, sop_uid, via, remote, owner_tenant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (AuditEvent e : events) {
        Jdbc.bind(ps, e.at(), cut(e.subject(), 128), e.tenantId(), e.role(), e.action(), e.studyUid(), e.seriesUid(),
            e.sopUid(), e.via(), cut(e.remote(), 128), e.ownerTenantId());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static final String AUDIT_COLUMNS = "at, subject, tenant_id, role, action, study_uid, series_uid, sop_uid, via, "
      + "remote, owner_tenant_id";

  /** An audit row from {@link #AUDIT_COLUMNS}, starting at column {@code i}. */
  private static AuditEvent auditRow(ResultSet rs, int i) throws SQLException {
    return new AuditEvent(rs.getTimestamp(i).toInstant(), rs.getString(i + 1), rs.getString(i + 2), rs.getString(i + 3),
        rs.getString(i + 4), rs.getString(i + 5), rs.getString(i + 6), rs.getString(i + 7), rs.getString(i + 8),
        rs.getString(i + 9), rs.getString(i + 10));
  }

  static List<AuditTrail.Entry> auditAfter(Connection c, long pk, int limit) throws SQLException {
    return Jdbc.query(c, "SELECT pk, " + AUDIT_COLUMNS + " FROM audit WHERE pk > ? ORDER BY pk LIMIT " + Math.max(1, limit),
        rs -> new AuditTrail.Entry(rs.getLong(1), auditRow(rs, 2)), pk);
  }

  static List<AuditEvent> auditOfStudy(Connection c, String tenantId, String studyUid) throws SQLException {
    String select = "SELECT " + AUDIT_COLUMNS + " FROM audit WHERE study_uid = ?";
    Jdbc.Row<AuditEvent> row = rs -> auditRow(rs, 1);
    if (tenantId == null) return Jdbc.query(c, select + " ORDER BY pk", row, studyUid);
    // The accesses to this tenant's copy, whoever made them (rows from before version 10 name no owner:
    // they count as the accessing tenant's own).
    return Jdbc.query(c, select + " AND COALESCE(owner_tenant_id, tenant_id) = ? ORDER BY pk", row, studyUid, tenantId);
  }

  /**
   * The accesses to the tenant's copies (see {@link #auditOfStudy}), newest first, at most
   * {@code limit}: those in [{@code since}, {@code until}), by {@code subject}, of {@code action} and
   * on {@code studyUid} when given (null: any).
   */
  static List<AuditEvent> auditSearch(Connection c, String tenantId, Instant since, Instant until, String subject,
      String action, String studyUid, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT " + AUDIT_COLUMNS + " FROM audit WHERE COALESCE(owner_tenant_id, tenant_id) = ?");
    java.util.List<Object> args = new java.util.ArrayList<>(List.of(tenantId));
    if (since != null) {
      sql.append(" AND at >= ?");
      args.add(since);
    }
    if (until != null) {
      sql.append(" AND at < ?");
      args.add(until);
    }
    if (subject != null) {
      sql.append(" AND subject = ?");
      args.add(subject);
    }
    if (action != null) {
      sql.append(" AND action = ?");
      args.add(action);
    }
    if (studyUid != null) {
      sql.append(" AND study_uid = ?");
      args.add(studyUid);
    }
    sql.append(" ORDER BY pk DESC LIMIT ").append(Math.max(1, Math.min(limit, 1000)));
    return Jdbc.query(c, sql.toString(), rs -> auditRow(rs, 1), args.toArray());
  }

  /** The tenant's study, shared; empty when the tenant has no such study. */
  static Optional<Share> share(Connection c, String tenantId, String studyUid, String grantee, String grantedBy,
      Instant expiresAt) throws SQLException {
    Optional<Long> studyPk = Jdbc.first(c, "SELECT pk FROM studies WHERE tenant_id = ? AND study_uid = ?",
        rs -> rs.getLong(1), tenantId, studyUid);
    if (studyPk.isEmpty()) return Optional.empty();
    Instant now = Instant.now();
    long pk = Jdbc.insert(c, "INSERT INTO shares (study_pk, grantee, granted_by, created_at, expires_at) "
        + "VALUES (?, ?, ?, ?, ?)", "pk", studyPk.get(), cut(grantee, 128), cut(grantedBy, 128), now, expiresAt)
        .orElseThrow();
    return Optional.of(new Share(pk, tenantId, studyUid, grantee, grantedBy, now, expiresAt));
  }

  /** The tenant's newest {@code limit} shares (ended ones too), of one study when {@code studyUid} is given. */
  static List<Share> shares(Connection c, String tenantId, String studyUid, int limit) throws SQLException {
    String sql = "SELECT sh.pk, s.study_uid, sh.grantee, sh.granted_by, sh.created_at, sh.expires_at FROM shares sh "
        + "JOIN studies s ON s.pk = sh.study_pk WHERE s.tenant_id = ?" + (studyUid == null ? "" : " AND s.study_uid = ?")
        + " ORDER BY sh.pk DESC LIMIT " + Math.max(1, limit);
    Jdbc.Row<Share> row = rs -> new Share(rs.getLong(1), tenantId, rs.getString(2), rs.getString(3), rs.getString(4),
        Jdbc.instant(rs, "created_at"), Jdbc.instant(rs, "expires_at"));
    return studyUid == null ? Jdbc.query(c, sql, row, tenantId) : Jdbc.query(c, sql, row, tenantId, studyUid);
  }

  /** Ends a share of one of the tenant's studies now; false when there is no such share. */
  static Optional<String> revokeShare(Connection c, String tenantId, long shareId) throws SQLException {
    Optional<String> study = Jdbc.first(c, "SELECT s.study_uid FROM shares sh JOIN studies s ON s.pk = sh.study_pk "
        + "WHERE sh.pk = ? AND s.tenant_id = ?", rs -> rs.getString(1), shareId, tenantId);
    if (study.isPresent()) Jdbc.update(c, "UPDATE shares SET expires_at = ? WHERE pk = ?", Instant.now(), shareId);
    return study;
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
