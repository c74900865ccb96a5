package imago.storage.models;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/** {@link ModelCatalog} over JDBC (H2 and PostgreSQL, tables of V3__models.sql). */
public final class SqlModelCatalog implements ModelCatalog {
  private static final String COLUMNS = "pk, name, version, tenant_id, framework, task, state, mode, reason, "
      + "artifact_key, artifact_sha256, artifact_size, device_uid, manifest, validation, registered_by, registered_at, "
      + "updated_at";

  private final DataSource ds;

  public SqlModelCatalog(DataSource ds) {
    this.ds = ds;
  }

  private <T> T tx(String what, Jdbc.CheckedWork<T, Conflict> work) throws SqlUnavailableException, Conflict {
    return Jdbc.transaction(ds, "model catalog " + what, work);
  }

  /** A transaction that cannot conflict. */
  private <T> T run(String what, Jdbc.CheckedWork<T, Conflict> work) throws SqlUnavailableException {
    try {
      return tx(what, work);
    } catch (Conflict e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public ModelVersion register(NewModelVersion v) throws Conflict, SqlUnavailableException {
    try {
      return tx("register", c -> {
        Instant now = Instant.now();
        String owner = owner(c, v.name());
        if (owner == null) {
          Jdbc.update(c, "INSERT INTO models (name, tenant_id, created_at) VALUES (?, ?, ?)", v.name(), v.tenantId(), now);
        } else if (!owner.equals(v.tenantId())) {
          throw new Conflict("model name '" + v.name() + "' belongs to tenant " + owner);
        }
        if (find(c, v.name(), v.version()).isPresent()) {
          throw new Conflict(v.name() + " " + v.version() + " is already registered; versions are immutable, "
              + "register a new version number");
        }
        long pk = Jdbc.insert(c, "INSERT INTO model_versions (name, version, tenant_id, framework, task, state, "
            + "artifact_key, artifact_sha256, artifact_size, device_uid, manifest, registered_by, registered_at, updated_at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "pk",
            v.name(), v.version(), v.tenantId(), v.framework(), v.task(), ModelState.REGISTERED.id(), v.artifactKey(),
            v.artifactSha256(), v.artifactSize(), v.deviceUid(), v.manifestJson(), cut(v.registeredBy(), 128), now, now)
            .orElseThrow();
        event(c, pk, now, null, ModelState.REGISTERED, v.registeredBy(), "sha256=" + v.artifactSha256());
        return find(c, v.name(), v.version()).orElseThrow();
      });
    } catch (SqlUnavailableException e) {
      // A racing registration of the same version loses on the unique constraint.
      if (find(v.name(), v.version()).isPresent()) {
        throw new Conflict(v.name() + " " + v.version() + " is already registered; versions are immutable");
      }
      throw e;
    }
  }

  @Override
  public Optional<ModelVersion> find(String name, String version) throws SqlUnavailableException {
    return run("find", c -> find(c, name, version));
  }

  @Override
  public List<ModelVersion> list(String name, String tenantId, ModelState state) throws SqlUnavailableException {
    return run("list", c -> {
      StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM model_versions WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      if (name != null) {
        sql.append(" AND name = ?");
        args.add(name);
      }
      if (tenantId != null) {
        sql.append(" AND tenant_id = ?");
        args.add(tenantId);
      }
      if (state != null) {
        sql.append(" AND state = ?");
        args.add(state.id());
      }
      sql.append(" ORDER BY registered_at DESC, pk DESC");
      return Jdbc.query(c, sql.toString(), SqlModelCatalog::version, args.toArray());
    });
  }

  @Override
  public Optional<String> owner(String name) throws SqlUnavailableException {
    return run("owner", c -> Optional.ofNullable(owner(c, name)));
  }

  @Override
  public Optional<ModelVersion> transition(String name, String version, Set<ModelState> from, ModelState to,
      String actor, String reason, String validationJson) throws SqlUnavailableException {
    return run("transition", c -> {
      Optional<ModelVersion> current = find(c, name, version);
      if (current.isEmpty() || !from.contains(current.get().state())) return Optional.empty();
      Instant now = Instant.now();
      StringBuilder sql = new StringBuilder("UPDATE model_versions SET state = ?, mode = ?, reason = ?, updated_at = ?");
      List<Object> args = new ArrayList<>(Arrays.asList(to.id(), to == ModelState.ACTIVE ? current.get().mode() : null,
          cut(reason, 4000), now));
      if (validationJson != null) {
        sql.append(", validation = ?");
        args.add(validationJson);
      }
      sql.append(" WHERE pk = ? AND state = ?");
      args.add(current.get().id());
      args.add(current.get().state().id());
      if (Jdbc.update(c, sql.toString(), args.toArray()) != 1) return Optional.empty();
      event(c, current.get().id(), now, current.get().state(), to, actor, reason);
      return find(c, name, version);
    });
  }

  @Override
  public Optional<ModelVersion> activate(String name, String version, Set<ModelState> from, String mode, String actor,
      String detail) throws SqlUnavailableException {
    return run("activate", c -> {
      Optional<ModelVersion> current = find(c, name, version);
      if (current.isEmpty() || !from.contains(current.get().state())) return Optional.empty();
      Instant now = Instant.now();
      if (ModelVersion.PRIMARY.equals(mode)) {
        List<ModelVersion> primaries = Jdbc.query(c, "SELECT " + COLUMNS + " FROM model_versions WHERE name = ? "
            + "AND state = ? AND mode = ? AND pk <> ? FOR UPDATE", SqlModelCatalog::version,
            name, ModelState.ACTIVE.id(), ModelVersion.PRIMARY, current.get().id());
        for (ModelVersion old : primaries) {
          update(c, old.id(), ModelState.ACTIVE, ModelState.RETIRED, null,
              "replaced as primary by " + version, now);
          event(c, old.id(), now, ModelState.ACTIVE, ModelState.RETIRED, actor, "replaced as primary by " + version);
        }
      }
      if (!update(c, current.get().id(), current.get().state(), ModelState.ACTIVE, mode, null, now)) {
        return Optional.empty();
      }
      event(c, current.get().id(), now, current.get().state(), ModelState.ACTIVE, actor,
          "mode=" + mode + (detail == null ? "" : "; " + detail));
      return find(c, name, version);
    });
  }

  @Override
  public List<ModelEvent> history(String name, String version) throws SqlUnavailableException {
    return run("history", c -> Jdbc.query(c, "SELECT e.at, e.from_state, e.to_state, e.actor, e.detail FROM model_events e "
        + "JOIN model_versions v ON v.pk = e.version_pk WHERE v.name = ? AND v.version = ? ORDER BY e.pk",
        rs -> new ModelEvent(rs.getTimestamp(1).toInstant(), rs.getString(2) == null ? null : ModelState.parse(rs.getString(2)),
            ModelState.parse(rs.getString(3)), rs.getString(4), rs.getString(5)),
        name, version));
  }

  private static boolean update(Connection c, long pk, ModelState from, ModelState to, String mode, String reason,
      Instant now) throws SQLException {
    return Jdbc.update(c, "UPDATE model_versions SET state = ?, mode = ?, reason = ?, updated_at = ? WHERE pk = ? AND state = ?",
        to.id(), mode, reason, now, pk, from.id()) == 1;
  }

  private static void event(Connection c, long versionPk, Instant at, ModelState from, ModelState to, String actor,
      String detail) throws SQLException {
    Jdbc.update(c, "INSERT INTO model_events (version_pk, at, from_state, to_state, actor, detail) VALUES (?, ?, ?, ?, ?, ?)",
        versionPk, at, from == null ? null : from.id(), to.id(), cut(actor, 128), cut(detail, 4000));
  }

  private static String owner(Connection c, String name) throws SQLException {
    return Jdbc.first(c, "SELECT tenant_id FROM models WHERE name = ?", rs -> rs.getString(1), name).orElse(null);
  }

  private static Optional<ModelVersion> find(Connection c, String name, String version) throws SQLException {
    return Jdbc.first(c, "SELECT " + COLUMNS + " FROM model_versions WHERE name = ? AND version = ?",
        SqlModelCatalog::version, name, version);
  }

  private static ModelVersion version(ResultSet rs) throws SQLException {
    return new ModelVersion(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        rs.getString(6), ModelState.parse(rs.getString(7)), rs.getString(8), rs.getString(9), rs.getString(10),
        rs.getString(11), rs.getLong(12), rs.getString(13), rs.getString(14), rs.getString(15), rs.getString(16),
        rs.getTimestamp(17).toInstant(), rs.getTimestamp(18).toInstant());
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

}
