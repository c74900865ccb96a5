package imago.storage.research;

import imago.storage.index.Jdbc;
import imago.storage.index.SqlUnavailableException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/** Projects' ground-truth labels and model evaluations, over JDBC (V20__research_evaluations.sql). */
public final class ResearchJudgements {
  private static final String EVALUATION_COLUMNS = "e.id, p.name, e.model_name, e.model_version, e.baseline_version, e.state, "
      + "e.requested_by, e.requested_at, e.finished_at, e.report";

  private final DataSource ds;
  private final Clock clock;

  public ResearchJudgements(DataSource ds, Clock clock) {
    this.ds = ds;
    this.clock = clock;
  }

  /**
   * Stores {@code labels} from {@code source}: they replace that source's labels of the studies
   * they name (an upload corrects the one before); returns how many were stored.
   */
  public int putLabels(ResearchProject p, List<Label> labels, String source, String by) throws SqlUnavailableException {
    return Jdbc.<Integer, RuntimeException>transaction(ds, "research labels", c -> {
      Set<String> studies = new LinkedHashSet<>();
      for (Label l : labels) studies.add(l.studyUid());
      for (String s : studies) {
        Jdbc.update(c, "DELETE FROM research_labels WHERE project_id = ? AND study_uid = ? AND source = ?", p.id(), s, source);
      }
      for (Label l : labels) {
        Jdbc.update(c, "INSERT INTO research_labels (project_id, study_uid, sop_uid, finding, present, box, source, recorded_by, "
            + "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", p.id(), l.studyUid(), l.sopUid(), l.finding(), l.present(),
            l.box() == null ? null : box(l.box()), source, by, clock.instant());
      }
      return labels.size();
    });
  }

  /** Every label of the project, study by study. */
  public List<Label> labels(ResearchProject p) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "research labels", c -> Jdbc.query(c, "SELECT study_uid, sop_uid, finding, present, box, source "
        + "FROM research_labels WHERE project_id = ? ORDER BY study_uid, sop_uid, id", rs -> new Label(rs.getString(1),
        rs.getString(2), rs.getString(3), rs.getBoolean(4), box(rs.getString(5)), rs.getString(6)), p.id()));
  }

  public Evaluation startEvaluation(ResearchProject p, String model, String version, String baseline, String by)
      throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "evaluation start", c -> {
      long id = Jdbc.insert(c, "INSERT INTO model_evaluations (project_id, model_name, model_version, baseline_version, state, "
          + "requested_by, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)", "id", p.id(), model, version, baseline,
          Evaluation.State.RUNNING.id(), by, clock.instant()).orElseThrow();
      return evaluations(c, "WHERE e.id = ?", id).get(0);
    });
  }

  /** Records the outcome of a running evaluation; false if it was no longer running (another node finished it). */
  public boolean finishEvaluation(long id, Evaluation.State state, String report) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "evaluation finish", c -> Jdbc.update(c, "UPDATE model_evaluations SET state = ?, report = ?, "
        + "finished_at = ? WHERE id = ? AND state = ?", state.id(), report, clock.instant(), id,
        Evaluation.State.RUNNING.id()) == 1);
  }

  public Optional<Evaluation> evaluation(long id) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "evaluation", c -> evaluations(c, "WHERE e.id = ?", id).stream().findFirst());
  }

  /** A version's evaluations, newest first. */
  public List<Evaluation> evaluations(String model, String version) throws SqlUnavailableException {
    return Jdbc.autoCommit(ds, "evaluations", c -> evaluations(c, "WHERE e.model_name = ? AND e.model_version = ? "
        + "ORDER BY e.id DESC", model, version));
  }

  private static List<Evaluation> evaluations(java.sql.Connection c, String where, Object... args) throws SQLException {
    return Jdbc.query(c, "SELECT " + EVALUATION_COLUMNS + " FROM model_evaluations e JOIN research_projects p "
        + "ON p.id = e.project_id " + where, ResearchJudgements::evaluation, args);
  }

  private static Evaluation evaluation(ResultSet rs) throws SQLException {
    return new Evaluation(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        Evaluation.State.valueOf(rs.getString(6).toUpperCase(Locale.ROOT)), rs.getString(7), Jdbc.instant(rs, "requested_at"),
        Jdbc.instant(rs, "finished_at"), rs.getString(10));
  }

  private static String box(double[] b) {
    List<String> parts = new ArrayList<>();
    for (double v : b) parts.add(Double.toString(v));
    return String.join(",", parts);
  }

  private static double[] box(String text) {
    if (text == null || text.isBlank()) return null;
    String[] parts = text.split(",");
    double[] b = new double[parts.length];
    for (int i = 0; i < parts.length; i++) b[i] = Double.parseDouble(parts[i]);
    return b;
  }
}
