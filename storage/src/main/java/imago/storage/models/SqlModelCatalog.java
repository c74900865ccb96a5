package imago.storage.models;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
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
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO models (name, tenant_id, created_at) VALUES (?, ?, ?)")) {
            ps.setString(1, v.name());
            ps.setString(2, v.tenantId());
            ps.setTimestamp(3, Timestamp.from(now));
            ps.executeUpdate();
          }
        } else if (!owner.equals(v.tenantId())) {
          throw new Conflict("model name '" + v.name() + "' belongs to tenant " + owner);
        }
        if (find(c, v.name(), v.version()).isPresent()) {
          throw new Conflict(v.name() + " " + v.version() + " is already registered; versions are immutable, "
              + "register a new version number");
        }
        long pk;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_versions (name, version, tenant_id, framework, "
            + "task, state, artifact_key, artifact_sha256, artifact_size, device_uid, manifest, registered_by, "
            + "registered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", new String[] {"pk"})) {
          ps.setString(1, v.name());
          ps.setString(2, v.version());
          ps.setString(3, v.tenantId());
          ps.setString(4, v.framework());
          ps.setString(5, v.task());
          ps.setString(6, ModelState.REGISTERED.id());
          ps.setString(7, v.artifactKey());
          ps.setString(8, v.artifactSha256());
          ps.setLong(9, v.artifactSize());
          ps.setString(10, v.deviceUid());
          ps.setString(11, v.manifestJson());
          ps.setString(12, cut(v.registeredBy(), 128));
          ps.setTimestamp(13, Timestamp.from(now));
          ps.setTimestamp(14, Timestamp.from(now));
          ps.executeUpdate();
          try (ResultSet keys = ps.getGeneratedKeys()) {
            keys.next();
            pk = keys.getLong(1);
          }
        }
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
      List<String> args = new ArrayList<>();
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
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) ps.setString(i + 1, args.get(i));
        return rows(ps);
      }
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
      String sql = "UPDATE model_versions SET state = ?, mode = ?, reason = ?, updated_at = ?"
          + (validationJson != null ? ", validation = ?" : "") + " WHERE pk = ? AND state = ?";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        ps.setString(i++, to.id());
        ps.setString(i++, to == ModelState.ACTIVE ? current.get().mode() : null);
        ps.setString(i++, cut(reason, 4000));
        ps.setTimestamp(i++, Timestamp.from(now));
        if (validationJson != null) ps.setString(i++, validationJson);
        ps.setLong(i++, current.get().id());
        ps.setString(i, current.get().state().id());
        if (ps.executeUpdate() != 1) return Optional.empty();
      }
      event(c, current.get().id(), now, current.get().state(), to, actor, reason);
      return find(c, name, version);
    });
  }

  @Override
  public Optional<ModelVersion> activate(String name, String version, Set<ModelState> from, String mode, String actor)
      throws SqlUnavailableException {
    return run("activate", c -> {
      Optional<ModelVersion> current = find(c, name, version);
      if (current.isEmpty() || !from.contains(current.get().state())) return Optional.empty();
      Instant now = Instant.now();
      if (ModelVersion.PRIMARY.equals(mode)) {
        List<ModelVersion> primaries;
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM model_versions WHERE name = ? "
            + "AND state = ? AND mode = ? AND pk <> ? FOR UPDATE")) {
          ps.setString(1, name);
          ps.setString(2, ModelState.ACTIVE.id());
          ps.setString(3, ModelVersion.PRIMARY);
          ps.setLong(4, current.get().id());
          primaries = rows(ps);
        }
        for (ModelVersion old : primaries) {
          update(c, old.id(), ModelState.ACTIVE, ModelState.RETIRED, null,
              "replaced as primary by " + version, now);
          event(c, old.id(), now, ModelState.ACTIVE, ModelState.RETIRED, actor, "replaced as primary by " + version);
        }
      }
      if (!update(c, current.get().id(), current.get().state(), ModelState.ACTIVE, mode, null, now)) {
        return Optional.empty();
      }
      event(c, current.get().id(), now, current.get().state(), ModelState.ACTIVE, actor, "mode=" + mode);
      return find(c, name, version);
    });
  }

  @Override
  public List<ModelEvent> history(String name, String version) throws SqlUnavailableException {
    return run("history", c -> {
      List<ModelEvent> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT e.at, e.from_state, e.to_state, e.actor, e.detail FROM "
          + "model_events e JOIN model_versions v ON v.pk = e.version_pk WHERE v.name = ? AND v.version = ? ORDER BY e.pk")) {
        ps.setString(1, name);
        ps.setString(2, version);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new ModelEvent(rs.getTimestamp(1).toInstant(), rs.getString(2) == null ? null : ModelState.parse(rs.getString(2)),
                ModelState.parse(rs.getString(3)), rs.getString(4), rs.getString(5)));
          }
        }
      }
      return out;
    });
  }

  private static boolean update(Connection c, long pk, ModelState from, ModelState to, String mode, String reason,
      Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE model_versions SET state = ?, mode = ?, reason = ?, "
        + "updated_at = ? WHERE pk = ? AND state = ?")) {
      ps.setString(1, to.id());
      ps.setString(2, mode);
      ps.setString(3, reason);
      ps.setTimestamp(4, Timestamp.from(now));
      ps.setLong(5, pk);
      ps.setString(6, from.id());
      return ps.executeUpdate() == 1;
    }
  }

  private static void event(Connection c, long versionPk, Instant at, ModelState from, ModelState to, String actor,
      String detail) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_events (version_pk, at, from_state, to_state, "
        + "actor, detail) VALUES (?, ?, ?, ?, ?, ?)")) {
      ps.setLong(1, versionPk);
      ps.setTimestamp(2, Timestamp.from(at));
      ps.setString(3, from == null ? null : from.id());
      ps.setString(4, to.id());
      ps.setString(5, cut(actor, 128));
      ps.setString(6, cut(detail, 4000));
      ps.executeUpdate();
    }
  }

  private static String owner(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT tenant_id FROM models WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static Optional<ModelVersion> find(Connection c, String name, String version) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM model_versions WHERE name = ? AND version = ?")) {
      ps.setString(1, name);
      ps.setString(2, version);
      return rows(ps).stream().findFirst();
    }
  }

  private static List<ModelVersion> rows(PreparedStatement ps) throws SQLException {
    List<ModelVersion> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new ModelVersion(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6), ModelState.parse(rs.getString(7)), rs.getString(8), rs.getString(9), rs.getString(10),
            rs.getString(11), rs.getLong(12), rs.getString(13), rs.getString(14), rs.getString(15), rs.getString(16),
            rs.getTimestamp(17).toInstant(), rs.getTimestamp(18).toInstant()));
      }
    }
    return out;
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

}
