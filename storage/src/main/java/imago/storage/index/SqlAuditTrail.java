package imago.storage.index;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/** {@link AuditTrail} over JDBC (H2 and PostgreSQL, V11__audit_export.sql), for the destination {@code name}. */
public final class SqlAuditTrail implements AuditTrail {
  private final DataSource ds;
  private final String name;

  public SqlAuditTrail(DataSource ds, String name) {
    this.ds = ds;
    this.name = name;
  }

  private <T> T run(String what, Jdbc.Work<T> work) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "audit export " + what, work);
  }

  @Override
  public boolean claim(String holder, Duration lease) throws SqlUnavailableException {
    Instant now = Instant.now();
    return run("claim", c -> {
      int renewed = Jdbc.update(c, "UPDATE audit_export SET holder = ?, lease_until = ? WHERE name = ? "
          + "AND (holder = ? OR holder IS NULL OR lease_until < ?)", holder, now.plus(lease), name, holder, now);
      if (renewed == 1) return true;
      // The first claim: the export starts after the rows written before it was turned on.
      return Jdbc.update(c, "INSERT INTO audit_export (name, last_pk, holder, lease_until) "
          + "VALUES (?, (SELECT COALESCE(MAX(pk), 0) FROM audit), ?, ?) ON CONFLICT DO NOTHING",
          name, holder, now.plus(lease)) == 1;
    });
  }

  @Override
  public long exported() throws SqlUnavailableException {
    return run("place", c -> Jdbc.first(c, "SELECT last_pk FROM audit_export WHERE name = ?", rs -> rs.getLong(1), name)
        .orElse(0L));
  }

  @Override
  public List<Entry> after(long id, int limit) throws SqlUnavailableException {
    return run("read", c -> SqlAccess.auditAfter(c, id, limit));
  }

  @Override
  public boolean exported(String holder, long id) throws SqlUnavailableException {
    return run("advance", c -> Jdbc.update(c, "UPDATE audit_export SET last_pk = ? WHERE name = ? AND holder = ?",
        id, name, holder) == 1);
  }
}
