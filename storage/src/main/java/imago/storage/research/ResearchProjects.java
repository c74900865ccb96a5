package imago.storage.research;

import imago.core.deid.ConfidentialityProfile.Option;
import imago.core.deid.PixelCleaner;
import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import imago.storage.research.ResearchProject.Site;
import imago.storage.research.ResearchProject.SiteState;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/** Research projects, their researchers, hospitals and the patients' opt-outs, over JDBC (V19__research.sql). */
public final class ResearchProjects {
  /** A project's name: what its URLs and the command line use. */
  public static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{1,62}");
  private static final String PROJECT_COLUMNS = "id, name, title, owner_tenant, created_by, created_at, cohort, options, key_salt, "
      + "clean_pixels";
  private static final long EVERY_PROJECT = 0;
  /** SQLSTATE of a unique or primary key violation, on H2 and PostgreSQL alike. */
  private static final String UNIQUE_VIOLATION = "23505";

  private final DataSource ds;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public ResearchProjects(DataSource ds, Clock clock) {
    this.ds = ds;
    this.clock = clock;
  }

  /** Thrown when the name is taken. */
  public static final class NameTakenException extends Exception {
    public NameTakenException(String name) {
      super("a research project named " + name + " exists");
    }
  }

  /**
   * A new project: {@code createdBy} is its first researcher, every tenant of {@code tenants} is
   * invited and takes part once its admin consents.
   */
  public ResearchProject create(String name, String title, String ownerTenant, String createdBy, Map<String, String> cohort,
      Set<Option> options, Map<String, List<PixelCleaner.Rect>> cleanPixels, List<String> tenants)
      throws SqlUnavailableException, NameTakenException {
    if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("a project name is 2-63 of a-z, 0-9 and -: " + name);
    byte[] salt = new byte[16];
    random.nextBytes(salt);
    return Jdbc.<ResearchProject, NameTakenException>transaction(ds, "research create", c -> {
      if (Jdbc.first(c, "SELECT id FROM research_projects WHERE name = ?", rs -> rs.getLong(1), name).isPresent()) {
        throw new NameTakenException(name);
      }
      long id;
      try {
        id = Jdbc.insert(c, "INSERT INTO research_projects (name, title, owner_tenant, created_by, created_at, cohort, "
            + "options, key_salt, clean_pixels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "id", name, title, ownerTenant, createdBy,
            clock.instant(), cohortText(cohort), options.stream().map(Enum::name).sorted().collect(Collectors.joining(",")),
            HexFormat.of().formatHex(salt), rulesText(cleanPixels)).orElseThrow();
      } catch (SQLException e) {
        if (UNIQUE_VIOLATION.equals(e.getSQLState())) throw new NameTakenException(name); // created meanwhile
        throw e;
      }
      Jdbc.update(c, "INSERT INTO research_researchers (project_id, principal, added_by, added_at) VALUES (?, ?, ?, ?)", id,
          createdBy, createdBy, clock.instant());
      for (String t : new java.util.LinkedHashSet<>(tenants)) invite(c, id, t, createdBy);
      return load(c, id).orElseThrow();
    });
  }

  public Optional<ResearchProject> byName(String name) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research project", c -> {
      Optional<Long> id = Jdbc.first(c, "SELECT id FROM research_projects WHERE name = ?", rs -> rs.getLong(1), name);
      return id.isEmpty() ? Optional.empty() : load(c, id.get());
    });
  }

  /** Every project, oldest first. */
  public List<ResearchProject> all() throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research projects", c -> {
      List<ResearchProject> out = new java.util.ArrayList<>();
      for (long id : Jdbc.query(c, "SELECT id FROM research_projects ORDER BY id", rs -> rs.getLong(1))) {
        load(c, id).ifPresent(out::add);
      }
      return out;
    });
  }

  /** Adds a researcher; false if they already were one. */
  public boolean addResearcher(long projectId, String principal, String by) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research add researcher", c -> {
      if (Jdbc.first(c, "SELECT 1 FROM research_researchers WHERE project_id = ? AND principal = ?", rs -> 1, projectId,
          principal).isPresent()) {
        return false;
      }
      return once(() -> Jdbc.update(c, "INSERT INTO research_researchers (project_id, principal, added_by, added_at) "
          + "VALUES (?, ?, ?, ?)", projectId, principal, by, clock.instant()) == 1);
    });
  }

  /** Invites a hospital; false if it already was invited (whatever it decided since). */
  public boolean invite(long projectId, String tenantId, String by) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research invite", c -> invite(c, projectId, tenantId, by));
  }

  private boolean invite(Connection c, long projectId, String tenantId, String by) throws SQLException {
    if (Jdbc.first(c, "SELECT 1 FROM research_sites WHERE project_id = ? AND tenant_id = ?", rs -> 1, projectId, tenantId)
        .isPresent()) {
      return false;
    }
    return once(() -> Jdbc.update(c, "INSERT INTO research_sites (project_id, tenant_id, state, invited_by, invited_at) "
        + "VALUES (?, ?, ?, ?, ?)", projectId, tenantId, SiteState.INVITED.id(), by, clock.instant()) == 1);
  }

  /** A hospital admin's decision (consented, declined, withdrawn); false if the hospital was not invited. */
  public boolean decide(long projectId, String tenantId, SiteState state, String by) throws SqlUnavailableException {
    if (state == SiteState.INVITED) throw new IllegalArgumentException("invited is not a decision");
    return Jdbc.autoCommit(ds, "research decide", c -> Jdbc.update(c, "UPDATE research_sites SET state = ?, decided_by = ?, "
        + "decided_at = ? WHERE project_id = ? AND tenant_id = ?", state.id(), by, clock.instant(), projectId, tenantId) == 1);
  }

  /** Records a patient's opt-out, for one project or ({@code project} null) every one; idempotent. */
  public OptOut optOut(String tenantId, String patientId, ResearchProject project, String by) throws SqlUnavailableException {
    long projectId = project == null ? EVERY_PROJECT : project.id();
    return Jdbc.autoCommit(ds, "research opt-out", c -> {
      Optional<OptOut> existing = optOuts(c, "WHERE o.tenant_id = ? AND o.patient_id = ? AND o.project_id = ?", tenantId,
          patientId, projectId).stream().findFirst();
      if (existing.isPresent()) return existing.get();
      once(() -> Jdbc.update(c, "INSERT INTO research_opt_outs (tenant_id, patient_id, project_id, "
          + "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)", tenantId, patientId, projectId, by, clock.instant()) == 1);
      // if another request recorded the same opt-out meanwhile, that one is answered
      return optOuts(c, "WHERE o.tenant_id = ? AND o.patient_id = ? AND o.project_id = ?", tenantId, patientId, projectId).get(0);
    });
  }

  @FunctionalInterface
  private interface Insert {
    boolean run() throws SQLException;
  }

  /** An insert of a row that must exist once: false when a concurrent request inserted it first. */
  private static boolean once(Insert insert) throws SQLException {
    try {
      return insert.run();
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) return false;
      throw e;
    }
  }

  /** A hospital's opt-outs, newest first. */
  public List<OptOut> optOuts(String tenantId) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research opt-outs", c -> optOuts(c, "WHERE o.tenant_id = ? ORDER BY o.id DESC", tenantId));
  }

  /** Removes one of a hospital's opt-outs (the patient withdrew the objection); false if there is none. */
  public boolean removeOptOut(String tenantId, long id) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research opt-out removal", c -> Jdbc.update(c,
        "DELETE FROM research_opt_outs WHERE tenant_id = ? AND id = ?", tenantId, id) == 1);
  }

  /** The patients of {@code tenantId} who are out of {@code project}: its own opt-outs and those for every project. */
  public Set<String> optedOut(String tenantId, ResearchProject project) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research opted out", c -> new java.util.HashSet<>(Jdbc.query(c,
        "SELECT patient_id FROM research_opt_outs WHERE tenant_id = ? AND project_id IN (?, ?)", rs -> rs.getString(1),
        tenantId, EVERY_PROJECT, project.id())));
  }

  private static List<OptOut> optOuts(Connection c, String where, Object... args) throws SQLException {
    return Jdbc.query(c, "SELECT o.id, o.tenant_id, o.patient_id, p.name, o.recorded_by, o.recorded_at FROM research_opt_outs o "
        + "LEFT JOIN research_projects p ON p.id = o.project_id " + where, rs -> new OptOut(rs.getLong(1), rs.getString(2),
        rs.getString(3), rs.getString(4), rs.getString(5), Jdbc.instant(rs, "recorded_at")), args);
  }

  private static Optional<ResearchProject> load(Connection c, long id) throws SQLException {
    List<Site> sites = Jdbc.query(c, "SELECT tenant_id, state, invited_by, invited_at, decided_by, decided_at FROM research_sites "
        + "WHERE project_id = ? ORDER BY invited_at, tenant_id", rs -> new Site(rs.getString(1),
        SiteState.valueOf(rs.getString(2).toUpperCase(java.util.Locale.ROOT)), rs.getString(3), Jdbc.instant(rs, "invited_at"),
        rs.getString(5), Jdbc.instant(rs, "decided_at")), id);
    List<String> researchers = Jdbc.query(c, "SELECT principal FROM research_researchers WHERE project_id = ? ORDER BY added_at, "
        + "principal", rs -> rs.getString(1), id);
    return Jdbc.first(c, "SELECT " + PROJECT_COLUMNS + " FROM research_projects WHERE id = ?", rs -> project(rs, sites,
        researchers), id);
  }

  private static ResearchProject project(ResultSet rs, List<Site> sites, List<String> researchers) throws SQLException {
    Set<Option> options = EnumSet.noneOf(Option.class);
    for (String o : rs.getString("options").split(",")) if (!o.isBlank()) options.add(Option.valueOf(o));
    return new ResearchProject(rs.getLong("id"), rs.getString("name"), rs.getString("title"), rs.getString("owner_tenant"),
        rs.getString("created_by"), Jdbc.instant(rs, "created_at"), cohort(rs.getString("cohort")), options,
        rs.getString("key_salt"), sites, researchers, rules(rs.getString("clean_pixels")));
  }

  /** Clean Pixel Data rules as lines of MODALITY=x0,y0,x1,y1;x0,y0,x1,y1. */
  private static String rulesText(Map<String, List<PixelCleaner.Rect>> rules) {
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, List<PixelCleaner.Rect>> e : rules.entrySet()) {
      if (!e.getKey().matches("[A-Z]{1,16}")) throw new IllegalArgumentException("a modality is its DICOM code: " + e.getKey());
      s.append(e.getKey()).append('=').append(String.join(";", e.getValue().stream()
          .map(r -> r.x0() + "," + r.y0() + "," + r.x1() + "," + r.y1()).toList())).append('\n');
    }
    return s.toString();
  }

  private static Map<String, List<PixelCleaner.Rect>> rules(String text) {
    Map<String, List<PixelCleaner.Rect>> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq <= 0) continue;
      List<PixelCleaner.Rect> rects = new java.util.ArrayList<>();
      for (String r : line.substring(eq + 1).split(";")) {
        String[] v = r.split(",");
        rects.add(new PixelCleaner.Rect(Integer.parseInt(v[0]), Integer.parseInt(v[1]), Integer.parseInt(v[2]),
            Integer.parseInt(v[3])));
      }
      out.put(line.substring(0, eq), List.copyOf(rects));
    }
    return out;
  }

  /** The cohort's keys as lines of KEY=VALUE (keywords and values never hold a line break). */
  private static String cohortText(Map<String, String> cohort) {
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, String> e : cohort.entrySet()) {
      if ((e.getKey() + e.getValue()).contains("\n") || e.getKey().contains("=")) {
        throw new IllegalArgumentException("a cohort key is KEYWORD=VALUE on one line");
      }
      s.append(e.getKey()).append('=').append(e.getValue()).append('\n');
    }
    return s.toString();
  }

  private static Map<String, String> cohort(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) out.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return out;
  }
}
