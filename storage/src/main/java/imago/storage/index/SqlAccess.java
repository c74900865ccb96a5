package imago.storage.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Shares and the audit trail, over JDBC (the part of {@link SqlIndex} about who sees what). */
final class SqlAccess {
  private SqlAccess() {}

  static void audit(Connection c, List<AuditEvent> events) throws SQLException {
    if (events.isEmpty()) return;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit (at, subject, "
        + "tenant_id, role, action, study_uid, series_uid, sop_uid, via, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (AuditEvent e : events) {
        ps.setTimestamp(1, Timestamp.from(e.at()));
        ps.setString(2, cut(e.subject(), 128));
        ps.setString(3, e.tenantId());
        ps.setString(4, e.role());
        ps.setString(5, e.action());
        ps.setString(6, e.studyUid());
        ps.setString(7, e.seriesUid());
        ps.setString(8, e.sopUid());
        ps.setString(9, e.via());
        ps.setString(10, cut(e.remote(), 128));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  static List<AuditEvent> auditOfStudy(Connection c, String studyUid) throws SQLException {
    List<AuditEvent> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT at, subject, tenant_id, "
        + "role, action, study_uid, series_uid, sop_uid, via, remote FROM audit WHERE study_uid = ? ORDER BY pk")) {
      ps.setString(1, studyUid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AuditEvent(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10)));
        }
      }
    }
    return out;
  }

  /** The tenant's study, shared; empty when the tenant has no such study. */
  static Optional<Share> share(Connection c, String tenantId, String studyUid, String grantee, String grantedBy,
      Instant expiresAt) throws SQLException {
    Long studyPk;
    try (PreparedStatement ps = c.prepareStatement("SELECT pk FROM studies WHERE tenant_id = ? AND study_uid = ?")) {
      ps.setString(1, tenantId);
      ps.setString(2, studyUid);
      try (ResultSet rs = ps.executeQuery()) {
        studyPk = rs.next() ? rs.getLong(1) : null;
      }
    }
    if (studyPk == null) return Optional.empty();
    Instant now = Instant.now();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO shares (study_pk, grantee, granted_by, created_at, "
        + "expires_at) VALUES (?, ?, ?, ?, ?)", new String[] {"pk"})) {
      ps.setLong(1, studyPk);
      ps.setString(2, cut(grantee, 128));
      ps.setString(3, cut(grantedBy, 128));
      ps.setTimestamp(4, Timestamp.from(now));
      ps.setTimestamp(5, Timestamp.from(expiresAt));
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        return Optional.of(new Share(keys.getLong(1), tenantId, studyUid, grantee, grantedBy, now, expiresAt));
      }
    }
  }

  /** Ends a share of one of the tenant's studies now; false when there is no such share. */
  static boolean revokeShare(Connection c, String tenantId, long shareId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE shares SET expires_at = ? "
        + "WHERE pk = ? AND study_pk IN (SELECT pk FROM studies WHERE tenant_id = ?)")) {
      ps.setTimestamp(1, Timestamp.from(Instant.now()));
      ps.setLong(2, shareId);
      ps.setString(3, tenantId);
      return ps.executeUpdate() == 1;
    }
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
