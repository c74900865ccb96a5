package imago.storage.links;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/** {@link LinkStore} over JDBC (H2 and PostgreSQL, V5__fse_links.sql). */
public final class SqlLinkStore implements LinkStore {
  private static final String COLUMNS = "id, token_sha256, tenant_id, study_uid, rights, created_by, created_at, expires_at, "
      + "revoked_at, revoked_by";

  private final DataSource ds;

  public SqlLinkStore(DataSource ds) {
    this.ds = ds;
  }

  private <T> T run(String what, Jdbc.Work<T> work) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "links " + what, work);
  }

  @Override
  public Link create(String tokenSha256, String tenantId, String studyUid, Set<Link.Right> rights, String createdBy,
      Instant expiresAt) throws SqlUnavailableException {
    String rightIds = rights.stream().map(Link.Right::id).sorted().collect(Collectors.joining(","));
    long id = run("create", c -> Jdbc.insert(c, "INSERT INTO fse_links (token_sha256, tenant_id, study_uid, rights, "
        + "created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)", "id",
        tokenSha256, tenantId, studyUid, rightIds, createdBy, Instant.now(), expiresAt).orElseThrow());
    return find(tenantId, id).orElseThrow();
  }

  @Override
  public Optional<Link> byTokenSha256(String tokenSha256) throws SqlUnavailableException {
    List<Link> l = select("WHERE token_sha256 = ?", tokenSha256);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  @Override
  public Optional<Link> find(String tenantId, long id) throws SqlUnavailableException {
    List<Link> l = select("WHERE tenant_id = ? AND id = ?", tenantId, id);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  @Override
  public List<Link> ofStudy(String tenantId, String studyUid) throws SqlUnavailableException {
    return select("WHERE tenant_id = ? AND study_uid = ? ORDER BY id", tenantId, studyUid);
  }

  @Override
  public List<Link> recent(String tenantId, int max) throws SqlUnavailableException {
    return select("WHERE tenant_id = ? ORDER BY id DESC LIMIT " + Math.max(1, max), tenantId);
  }

  @Override
  public List<Link> live(int max) throws SqlUnavailableException {
    return select("WHERE revoked_at IS NULL AND expires_at > ? ORDER BY id LIMIT " + Math.max(1, max), Instant.now());
  }

  @Override
  public Optional<String> revoke(String tenantId, long id, String by) throws SqlUnavailableException {
    return run("revoke", c -> Jdbc.update(c, "UPDATE fse_links SET revoked_at = ?, revoked_by = ? "
        + "WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL", Instant.now(), by, tenantId, id) == 1
        ? Jdbc.first(c, "SELECT study_uid FROM fse_links WHERE id = ?", rs -> rs.getString(1), id) : Optional.empty());
  }

  private List<Link> select(String where, Object... args) throws SqlUnavailableException {
    return run("select", c -> Jdbc.query(c, "SELECT " + COLUMNS + " FROM fse_links " + where, SqlLinkStore::link, args));
  }

  private static Link link(ResultSet rs) throws SQLException {
    Set<Link.Right> rights = EnumSet.noneOf(Link.Right.class);
    for (String r : rs.getString("rights").split(",")) if (!r.isBlank()) rights.add(Link.Right.parse(r));
    return new Link(rs.getLong("id"), rs.getString("token_sha256").trim(), rs.getString("tenant_id"), rs.getString("study_uid"),
        rights, rs.getString("created_by"), rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("expires_at").toInstant(),
        Jdbc.instant(rs, "revoked_at"), rs.getString("revoked_by"));
  }
}
