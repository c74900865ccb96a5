package imago.models.evaluation;

import imago.core.deid.Deidentifier;
import imago.core.tenant.Caller;
import imago.inference.schedule.Scheduler;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import imago.storage.models.ModelCatalog;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.storage.research.Cohort;
import imago.storage.research.Evaluation;
import imago.storage.research.Label;
import imago.storage.research.ResearchJudgements;
import imago.storage.research.ResearchProject;
import imago.storage.research.ResearchProjects;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judging a model version on a research project's cohort beside the model's primary (issue 18).
 * Starting one schedules both versions on every labelled study of the cohort as evaluation jobs
 * (results JSON only: nothing reaches the studies or the FSE); the workers run them like any other.
 * Once every job is over, the next look at the evaluation writes its report: per finding the
 * figures of each version against the project's labels, and the comparison the promotion gate reads.
 * <ul>
 *   <li>classifiers: AUC, and sensitivity and specificity at the manifest's threshold, each with a
 *       95 % bootstrap interval (2,000 draws), per study (the highest probability of any image) where
 *       the labels name studies, else per image; compared on AUC;
 *   <li>detectors: FROC (a box finds a lesion when its centre is in the lesion's box) and the
 *       sensitivity at 1/8 to 8 false positives per image; compared on their mean.
 * </ul>
 * Segmenters are refused for now: their jobs keep no mask to compare with ground truth.
 */
public final class Evaluations {
  private static final Logger LOG = LoggerFactory.getLogger(Evaluations.class);
  static final int RESAMPLES = 2000;
  private static final long SEED = 20261207L;

  /** Why an evaluation cannot start: the message says what to do. */
  public static final class RefusedException extends Exception {
    private final int status;

    public RefusedException(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final ModelCatalog catalog;
  private final ResearchProjects projects;
  private final ResearchJudgements judgements;
  private final Cohort cohort;
  private final Index index;
  private final JobQueue queue;
  private final Scheduler scheduler;
  private final Runnable wakeWorkers;
  private final double margin;

  /**
   * @param margin how much worse (AUC, or mean FROC sensitivity) than the primary a candidate may
   *     be and still be promoted
   */
  public Evaluations(ModelCatalog catalog, ResearchProjects projects, ResearchJudgements judgements, Cohort cohort, Index index,
      JobQueue queue, Scheduler scheduler, Runnable wakeWorkers, double margin) {
    this.catalog = catalog;
    this.projects = projects;
    this.judgements = judgements;
    this.cohort = cohort;
    this.index = index;
    this.queue = queue;
    this.scheduler = scheduler;
    this.wakeWorkers = wakeWorkers;
    this.margin = margin;
  }

  /** Starts judging {@code name} {@code version} on {@code projectName}'s cohort, for one of its researchers or the region. */
  public Evaluation start(Caller caller, String name, String version, String projectName)
      throws RefusedException, SqlUnavailableException {
    ResearchProject p = project(caller, projectName);
    ModelVersion candidate = catalog.find(name, version).filter(v -> visible(caller, v))
        .orElseThrow(() -> new RefusedException(404, "no model version " + name + " " + version));
    if (candidate.state() != ModelState.VALIDATED && candidate.state() != ModelState.ACTIVE) {
      throw new RefusedException(409, name + " " + version + " is " + candidate.state().id()
          + "; only a validated or active version is evaluated");
    }
    if (candidate.task().equals("segmentation")) {
      throw new RefusedException(422, "segmenters are not evaluated yet: their evaluation jobs keep no mask to compare "
          + "with ground truth (Dice, Hausdorff)");
    }
    Optional<ModelVersion> primary = primary(name).filter(v -> !v.version().equals(version));
    List<Label> labels = judgements.labels(p);
    if (labels.isEmpty()) {
      throw new RefusedException(409, "project " + p.name() + " has no labels yet: POST /research/" + p.name()
          + "/labels (imago research labels " + p.name() + " --csv FILE)");
    }
    Set<String> labelled = new LinkedHashSet<>();
    for (Label l : labels) labelled.add(l.studyUid());
    List<Cohort.Member> members = cohort.members(p).stream().filter(m -> labelled.contains(m.pseudoStudyUid())).toList();
    if (members.isEmpty()) throw new RefusedException(409, "no labelled study of project " + p.name() + " is in its view now");
    int jobs = 0;
    for (Cohort.Member m : members) {
      jobs += scheduler.evaluate(m.tenantId(), m.studyUid(), candidate).size();
      if (primary.isPresent()) jobs += scheduler.evaluate(m.tenantId(), m.studyUid(), primary.get()).size();
    }
    Evaluation e = judgements.startEvaluation(p, name, version, primary.map(ModelVersion::version).orElse(null),
        caller.principal());
    LOG.info("event=evaluation.started evaluation={} project={} model={}:{} baseline={} studies={} jobs={}", e.id(), p.name(),
        name, version, e.baselineVersion(), members.size(), jobs);
    wakeWorkers.run();
    return e;
  }

  /**
   * The evaluation as it stands: a running one is finished here once its jobs are all over (its
   * report written, whichever node looks first). {@code progress} of a running one: jobs done of all.
   */
  public Optional<Looked> look(long id) throws SqlUnavailableException {
    Optional<Evaluation> found = judgements.evaluation(id);
    if (found.isEmpty()) return Optional.empty();
    Evaluation e = found.get();
    if (e.state() != Evaluation.State.RUNNING) return Optional.of(new Looked(e, null));
    ResearchProject p = projects.byName(e.project()).orElseThrow();
    Gathered g = gather(p, e);
    if (g.pending() > 0) return Optional.of(new Looked(e, new JsonObject().put("jobsDone", g.total() - g.pending())
        .put("jobs", g.total())));
    String report;
    Evaluation.State state;
    try {
      report = report(p, e, g).encode();
      state = Evaluation.State.DONE;
    } catch (RuntimeException ex) {
      LOG.warn("event=evaluation.failed evaluation={} error=\"{}\"", id, ex.toString(), ex);
      report = new JsonObject().put("error", ex.getMessage()).encode();
      state = Evaluation.State.FAILED;
    }
    judgements.finishEvaluation(id, state, report);
    return Optional.of(new Looked(judgements.evaluation(id).orElseThrow(), null));
  }

  /** An evaluation and, while it runs, its progress. */
  public record Looked(Evaluation evaluation, JsonObject progress) {}

  /** An evaluation as stored, not looked at (no report is written): for deciding who may read it first. */
  public Optional<Evaluation> find(long id) throws SqlUnavailableException {
    return judgements.evaluation(id);
  }

  /**
   * Whether {@code caller} may read {@code e}: a researcher of its project (or the region) who may
   * also see its model version (an active one, or one of the caller's own hospital).
   */
  public boolean readable(Caller caller, Evaluation e) throws SqlUnavailableException {
    Optional<ResearchProject> p = projects.byName(e.project());
    if (p.isEmpty() || !(p.get().hasResearcher(caller.principal()) || caller.role() == Caller.Role.REGION)) return false;
    return catalog.find(e.modelName(), e.modelVersion()).filter(v -> visible(caller, v)).isPresent();
  }

  /** As the registry shows versions: the region sees all, others an active one or their own hospital's. */
  private static boolean visible(Caller caller, ModelVersion v) {
    return caller.role() == Caller.Role.REGION || v.state() == ModelState.ACTIVE || v.tenantId().equals(caller.tenantId());
  }

  /** The newest finished evaluation of a version that compares it with a primary: what the promotion gate reads. */
  public Optional<JsonObject> latestComparison(String name, String version) throws SqlUnavailableException {
    for (Evaluation e : judgements.evaluations(name, version)) {
      Evaluation seen = e.state() == Evaluation.State.RUNNING ? look(e.id()).map(Looked::evaluation).orElse(e) : e;
      if (seen.state() == Evaluation.State.DONE && seen.report() != null) {
        JsonObject comparison = new JsonObject(seen.report()).getJsonObject("comparison");
        if (comparison != null) return Optional.of(comparison.copy().put("evaluation", seen.id()).put("project", seen.project()));
      }
    }
    return Optional.empty();
  }

  public List<Evaluation> of(String name, String version) throws SqlUnavailableException {
    return judgements.evaluations(name, version);
  }

  /** The project, for one of its researchers or the region; else as if it did not exist. */
  public ResearchProject project(Caller caller, String projectName) throws RefusedException, SqlUnavailableException {
    Optional<ResearchProject> p = projectName == null ? Optional.empty() : projects.byName(projectName);
    if (p.isEmpty() || !(p.get().hasResearcher(caller.principal()) || caller.role() == Caller.Role.REGION)) {
      throw new RefusedException(404, "no research project " + projectName + " of yours");
    }
    return p.get();
  }

  private Optional<ModelVersion> primary(String name) throws SqlUnavailableException {
    return catalog.list(name, null, ModelState.ACTIVE).stream().filter(v -> ModelVersion.PRIMARY.equals(v.mode())).findFirst();
  }

  // ---- gathering results -----------------------------------------------------------------------

  /** Each version's newest finished result per series of each labelled study, and how many jobs are still to run. */
  private record Gathered(Map<String, Map<String, List<JsonObject>>> results, Map<String, Map<String, String>> realSops,
      int pending, int total, int failed) {}

  private Gathered gather(ResearchProject p, Evaluation e) throws SqlUnavailableException {
    Set<String> labelled = new LinkedHashSet<>();
    for (Label l : judgements.labels(p)) labelled.add(l.studyUid());
    Deidentifier deid = cohort.deidentifier(p);
    Map<String, Map<String, List<JsonObject>>> results = new LinkedHashMap<>(); // version -> pseudo study -> results
    Map<String, Map<String, String>> sops = new HashMap<>(); // pseudo study -> real sop -> pseudo sop
    int pending = 0;
    int total = 0;
    int failed = 0;
    List<String> versions = new ArrayList<>(List.of(e.modelVersion()));
    if (e.baselineVersion() != null) versions.add(e.baselineVersion());
    for (Cohort.Member m : cohort.members(p)) {
      if (!labelled.contains(m.pseudoStudyUid())) continue;
      Map<String, String> studySops = new HashMap<>();
      for (StoredInstance i : index.studyInstances(m.tenantId(), m.studyUid())) {
        studySops.put(i.sopInstanceUid(), deid.uid(i.sopInstanceUid()));
      }
      sops.put(m.pseudoStudyUid(), studySops);
      List<Job> jobs = queue.ofStudy(m.tenantId(), m.studyUid());
      for (String v : versions) {
        Map<String, Job> newest = new LinkedHashMap<>();
        for (Job j : jobs) {
          if (j.modelName().equals(e.modelName()) && j.modelVersion().equals(v)) newest.merge(j.seriesUid(), j,
              (a, b) -> a.id() > b.id() ? a : b);
        }
        List<JsonObject> done = new ArrayList<>();
        for (Job j : newest.values()) {
          total++;
          if (j.state() == JobState.QUEUED || j.state() == JobState.RUNNING) pending++;
          else if (j.state() == JobState.DONE && j.result() != null) done.add(new JsonObject(j.result()));
          else failed++;
        }
        results.computeIfAbsent(v, k -> new LinkedHashMap<>()).put(m.pseudoStudyUid(), done);
      }
    }
    return new Gathered(results, sops, pending, total, failed);
  }

  // ---- the report ------------------------------------------------------------------------------

  private JsonObject report(ResearchProject p, Evaluation e, Gathered g) throws SqlUnavailableException {
    ModelVersion candidate = catalog.find(e.modelName(), e.modelVersion()).orElseThrow();
    // only the studies in the view now: a withdrawn hospital's or an opted-out patient's labels no longer count
    List<Label> labels = judgements.labels(p).stream().filter(l -> g.results().get(e.modelVersion()).containsKey(l.studyUid()))
        .toList();
    Set<String> findings = new LinkedHashSet<>();
    for (Label l : labels) findings.add(l.finding());
    JsonArray perFinding = new JsonArray();
    List<Double> candidateFigures = new ArrayList<>();
    List<Double> baselineFigures = new ArrayList<>();
    String compared = candidate.task().equals("detection") ? "mean FROC sensitivity (1/8 to 8 false positives per image)"
        : "AUC";
    for (String finding : findings) {
      List<Label> of = labels.stream().filter(l -> l.finding().equals(finding)).toList();
      JsonObject f = new JsonObject().put("finding", finding);
      if (!candidate.task().equals("detection")) {
        // a classifier is judged per study where the labels name studies, per image otherwise; lesion boxes are a detector's
        List<Label> studyLevel = of.stream().filter(Label::studyLevel).toList();
        of = studyLevel.isEmpty() ? of.stream().filter(l -> l.box() == null).toList() : studyLevel;
      }
      JsonObject c = candidate.task().equals("detection") ? detection(of, g, e.modelVersion(), f)
          : classification(of, g, e.modelVersion(), f);
      if (c == null) continue; // the model does not report this finding
      candidateFigures.add((Double) c.remove("compared"));
      f.put("candidate", c);
      if (e.baselineVersion() != null) {
        JsonObject b = candidate.task().equals("detection") ? detection(of, g, e.baselineVersion(), new JsonObject())
            : classification(of, g, e.baselineVersion(), new JsonObject());
        if (b != null) {
          baselineFigures.add((Double) b.remove("compared"));
          f.put("baseline", b);
        }
      }
      perFinding.add(f);
    }
    if (perFinding.isEmpty()) {
      throw new IllegalStateException("no labelled finding is one " + e.modelName() + " reports: labels name " + findings);
    }
    JsonObject report = new JsonObject().put("evaluation", e.id()).put("project", p.name()).put("model", e.modelName())
        .put("task", candidate.task()).put("candidate", e.modelVersion()).put("baseline", e.baselineVersion())
        .put("studies", g.results().get(e.modelVersion()).size()).put("failedJobs", g.failed()).put("findings", perFinding);
    double candidateMean = mean(candidateFigures);
    if (e.baselineVersion() != null && baselineFigures.size() == candidateFigures.size()) {
      double baselineMean = mean(baselineFigures);
      report.put("comparison", new JsonObject().put("metric", compared).put("candidate", candidateMean)
          .put("baseline", baselineMean).put("difference", candidateMean - baselineMean).put("margin", margin)
          .put("worse", candidateMean < baselineMean - margin));
    }
    return report;
  }

  /** Classification figures of one version for one finding, or null if its results never name the finding. */
  private JsonObject classification(List<Label> labels, Gathered g, String version, JsonObject meta) {
    Map<String, List<JsonObject>> byStudy = g.results().get(version);
    List<Double> scores = new ArrayList<>();
    List<Boolean> truth = new ArrayList<>();
    Double threshold = null;
    boolean named = false;
    int unscored = 0;
    for (Label l : labels) {
      Double best = null;
      for (JsonObject r : byStudy.getOrDefault(l.studyUid(), List.of())) {
        JsonArray findings = r.getJsonArray("findings", new JsonArray());
        for (int k = 0; k < findings.size(); k++) {
          JsonObject f = findings.getJsonObject(k);
          if (!l.finding().equals(f.getString("label"))) continue;
          named = true;
          if (f.getValue("threshold") != null) threshold = f.getDouble("threshold");
          if (l.studyLevel()) {
            best = best == null ? f.getDouble("probability") : Math.max(best, f.getDouble("probability"));
          } else {
            for (Object o : r.getJsonArray("images", new JsonArray())) {
              JsonObject image = (JsonObject) o;
              String pseudo = g.realSops().get(l.studyUid()).get(image.getString("sopInstanceUID"));
              if (l.sopUid().equals(pseudo) && image.getJsonArray("probabilities").size() > k) {
                double pr = image.getJsonArray("probabilities").getDouble(k);
                best = best == null ? pr : Math.max(best, pr);
              }
            }
          }
        }
      }
      if (best == null) {
        unscored++;
        continue;
      }
      scores.add(best);
      truth.add(l.present());
    }
    if (!named) return null;
    if (!truth.contains(true) || !truth.contains(false)) {
      throw new IllegalStateException("finding " + labels.get(0).finding() + ": the scored labels need both present and absent "
          + "cases (" + truth.size() + " scored, " + unscored + " without a result)");
    }
    double t = threshold == null ? 0.5 : threshold;
    double[] s = scores.stream().mapToDouble(Double::doubleValue).toArray();
    boolean[] y = new boolean[truth.size()];
    for (int i = 0; i < y.length; i++) y[i] = truth.get(i);
    int positives = (int) truth.stream().filter(b -> b).count();
    meta.put("level", labels.stream().allMatch(Label::studyLevel) ? "study" : "image").put("threshold", t)
        .put("cases", y.length).put("positives", positives).put("negatives", y.length - positives).put("unscored", unscored);
    Metrics.Interval auc = Metrics.bootstrap(s, y, Metrics::auc, RESAMPLES, SEED);
    Metrics.Interval sensitivity = Metrics.bootstrap(s, y, (a, b) -> Metrics.sensitivity(a, b, t), RESAMPLES, SEED);
    Metrics.Interval specificity = Metrics.bootstrap(s, y, (a, b) -> Metrics.specificity(a, b, t), RESAMPLES, SEED);
    JsonArray roc = new JsonArray();
    for (double[] point : thin(Metrics.roc(s, y))) roc.add(new JsonArray().add(point[0]).add(point[1]));
    return new JsonObject().put("version", version).put("auc", interval(auc)).put("sensitivity", interval(sensitivity))
        .put("specificity", interval(specificity)).put("roc", roc).put("compared", auc.value());
  }

  /** Detection figures of one version for one finding (lesion boxes on images), or null if its results never name it. */
  private JsonObject detection(List<Label> labels, Gathered g, String version, JsonObject meta) {
    Map<String, List<double[]>> lesions = new LinkedHashMap<>(); // pseudo study + sop -> boxes
    for (Label l : labels) {
      if (l.studyLevel()) continue;
      List<double[]> boxes = lesions.computeIfAbsent(l.studyUid() + "/" + l.sopUid(), k -> new ArrayList<>());
      if (l.present() && l.box() != null) boxes.add(l.box());
    }
    Map<String, List<Metrics.ScoredBox>> predicted = new HashMap<>();
    boolean named = false;
    String finding = labels.get(0).finding();
    for (Map.Entry<String, List<JsonObject>> study : g.results().get(version).entrySet()) {
      for (JsonObject r : study.getValue()) {
        for (Object o : r.getJsonArray("findings", new JsonArray())) named |= finding.equals(((JsonObject) o).getString("label"));
        for (Object o : r.getJsonArray("regions", new JsonArray())) {
          JsonObject region = (JsonObject) o;
          if (!finding.equals(region.getString("label"))) continue;
          String pseudo = g.realSops().get(study.getKey()).get(region.getString("sopInstanceUID"));
          JsonArray b = region.getJsonArray("box");
          predicted.computeIfAbsent(study.getKey() + "/" + pseudo, k -> new ArrayList<>()).add(new Metrics.ScoredBox(
              new double[] {b.getDouble(0), b.getDouble(1), b.getDouble(2), b.getDouble(3)}, region.getDouble("probability")));
        }
      }
    }
    if (!named) return null;
    List<Metrics.DetectionCase> cases = new ArrayList<>();
    for (Map.Entry<String, List<double[]>> image : lesions.entrySet()) {
      cases.add(new Metrics.DetectionCase(image.getValue(), predicted.getOrDefault(image.getKey(), List.of())));
    }
    Metrics.Froc froc = Metrics.froc(cases);
    if (froc.lesions() == 0) {
      throw new IllegalStateException("finding " + finding + ": the labels hold no lesion box (x0,y0,x1,y1 on an image), "
          + "so a detector's sensitivity is undefined");
    }
    meta.put("level", "image").put("images", froc.images()).put("lesions", froc.lesions());
    JsonArray at = new JsonArray();
    for (int r = 0; r < Metrics.FP_RATES.length; r++) {
      at.add(new JsonObject().put("falsePositivesPerImage", Metrics.FP_RATES[r]).put("sensitivity", froc.atRates()[r]));
    }
    JsonArray curve = new JsonArray();
    for (double[] point : thin(froc.points())) curve.add(new JsonArray().add(point[0]).add(point[1]));
    return new JsonObject().put("version", version).put("sensitivityAt", at).put("meanSensitivity", froc.mean())
        .put("froc", curve).put("compared", froc.mean());
  }

  /** The most points a stored curve keeps: a report stays small whatever the cohort (the plot needs no more). */
  static final int CURVE_POINTS = 400;

  /** Every k-th point of a curve (its last always kept), down to {@link #CURVE_POINTS}. */
  static List<double[]> thin(List<double[]> curve) {
    if (curve.size() <= CURVE_POINTS) return curve;
    List<double[]> out = new ArrayList<>();
    double step = (curve.size() - 1) / (double) (CURVE_POINTS - 1);
    for (int k = 0; k < CURVE_POINTS; k++) out.add(curve.get((int) Math.round(k * step)));
    return out;
  }

  private static JsonObject interval(Metrics.Interval i) {
    return new JsonObject().put("value", finite(i.value())).put("low", finite(i.low())).put("high", finite(i.high()));
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }
}
