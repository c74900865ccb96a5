package imago.inference.api;

import imago.core.tenant.Caller;
import imago.inference.schedule.CohortRuns;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryAttribute;
import imago.storage.index.query.QueryAttributes;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import imago.storage.models.ModelCatalog;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Params;
import imago.web.Problem;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /inference}: jobs and their JSON results, re-runs and backfills over a QIDO-style cohort
 * ({@link CohortRuns}), and a study's AI results. Every answer is scoped to the caller's tenant
 * (other tenants' jobs are 404, as studies are).
 */
public final class InferenceRouter {
  private static final String RUN_USAGE = "POST /inference/runs {\"model\": ..., \"version\": ..., \"cohort\": {QIDO study keys}}";

  private final Vertx vertx;
  private final JobQueue queue;
  private final CohortRuns runs;
  private final ModelCatalog catalog;
  private final Access access;
  private final Runnable wakeWorkers;

  public InferenceRouter(Vertx vertx, JobQueue queue, ModelCatalog catalog, CohortRuns runs, Access access,
      Runnable wakeWorkers) {
    this.catalog = catalog;
    this.vertx = vertx;
    this.queue = queue;
    this.runs = runs;
    this.access = access;
    this.wakeWorkers = wakeWorkers;
  }

  /** Mounted at {@code /inference}. */
  public Routes routes() {
    Routes r = new Routes(vertx)
        .filter(access.authenticate())
        .problem(CohortRuns.NotRunnableException.class,
            e -> Problem.of(409, "invalid-state", "Model version not runnable", e.getMessage()))
        .problem(InvalidQueryException.class, e -> Problem.of(400, "bad-request", "Invalid cohort", e.getMessage()));
    r.get("/jobs/:id").handler(this::job);
    r.get("/jobs").handler(this::jobs);
    r.post("/runs", Access.requireRole("Role may not start runs", "runs are started by hospital, researcher or admin roles",
        Caller.Role.HOSPITAL, Caller.Role.RESEARCHER, Caller.Role.ADMIN))
        .handler(BodyHandler.create(false).setBodyLimit(64 * 1024)).handler(this::newRun);
    r.get("/runs/:id").handler(this::run);
    r.get("/studies/:study/ai-results").handler(this::aiResults);
    r.get("/agreement").handler(this::agreement);
    return r;
  }

  private void job(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id = Params.id(ctx, "id", "job");
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      Job j = queue.find(id).orElse(null);
      if (j == null || !visible(caller, j)) throw Params.notFound("job", "job " + id);
      access.record(caller, "ai-results.read", Access.Via.INFERENCE, remote, List.of(new Access.Item(j.studyUid(), j.seriesUid(),
          null)));
      return j;
    }, j -> ctx.json(json(j)));
  }

  private void jobs(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = Params.required(ctx, "studyUID", "GET /inference/jobs?studyUID=...");
    Blocking.respond(ctx, () -> readResults(caller, study, Access.remote(ctx)), list -> {
      JsonArray out = new JsonArray();
      for (Job j : list) out.add(json(j));
      ctx.json(out);
    });
  }

  /**
   * {@code GET /inference/agreement?model=&version=[&against=]}: how often {@code version} (a shadow,
   * typically) agreed with {@code against} (default: the model's primary) on the same series; the
   * newest 1000 such series of the caller's hospital, or of every hospital for the region.
   * Researchers see their own hospital's models only.
   */
  private void agreement(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String usage = "GET /inference/agreement?model=NAME&version=V[&against=V]";
    String model = Params.required(ctx, "model", usage);
    String version = Params.required(ctx, "version", usage);
    String asked = ctx.queryParams().get("against");
    Blocking.respond(ctx, () -> {
      ModelVersion v = catalog.find(model, version).orElse(null);
      // as the registry shows versions (an active one to all, another to its hospital), to the roles that judge models;
      // anyone else gets the same 404 whether the version exists or not
      boolean readable = v != null && switch (caller.role()) {
        case REGION -> true;
        case ADMIN, RESEARCHER -> v.state() == ModelState.ACTIVE || v.tenantId().equals(caller.tenantId());
        default -> false;
      };
      if (!readable) throw Params.notFound("model version", model + " " + version);
      if (version.equals(asked)) {
        throw Problem.of(400, "bad-request", "A version against itself", "against names another version of " + model).exception();
      }
      String against = asked;
      if (against == null) {
        against = catalog.list(model, null, ModelState.ACTIVE).stream()
            .filter(p -> ModelVersion.PRIMARY.equals(p.mode()) && !p.version().equals(version)).map(ModelVersion::version)
            .findFirst().orElseThrow(() -> Problem.of(409, "invalid-state", "No primary to compare with",
                model + " has no other version active as primary; name one with against=").exception());
      }
      String tenant = caller.role() == Caller.Role.REGION ? null : caller.tenantId();
      return Agreement.of(queue.pairs(tenant, model, version, against, 1000)).put("model", model).put("version", version)
          .put("against", against).put("hospitals", tenant == null ? "all" : tenant);
    }, ctx::json);
  }

  /** The study's finished results, newest model run first: what the viewer and the FSE link show. */
  private void aiResults(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = ctx.pathParam("study");
    Blocking.respond(ctx, () -> readResults(caller, study, Access.remote(ctx)), list -> {
      if (list.isEmpty()) throw Problem.of(404, "not-found", "No AI results", "no inference job for study " + study).exception();
      JsonArray results = new JsonArray();
      JsonArray pending = new JsonArray();
      for (Job j : list) {
        if (j.state() == JobState.DONE && j.result() != null) results.add(new JsonObject(j.result()));
        else pending.add(new JsonObject().put("job", j.id()).put("state", j.state().id()).put("model", j.modelName() + " "
            + j.modelVersion()).put("reason", j.reason()));
      }
      ctx.json(new JsonObject().put("studyInstanceUID", study).put("results", results).put("notDone", pending));
    });
  }

  /**
   * {@code POST /inference/runs {"model": name, "version": v, "cohort": {QIDO study keys}}}: runs
   * one model version over the caller's studies matching the cohort (e.g. {@code {"ModalitiesInStudy":
   * "CR", "StudyDate": "20260101-20261231"}} or {@code {"StudyInstanceUID": "1.2\\1.3"}}).
   */
  private void newRun(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body = Params.jsonBody(ctx, RUN_USAGE);
    String name = body.getString("model");
    String version = body.getString("version");
    if (name == null || version == null) throw Problem.of(400, "bad-request", "model and version are required", RUN_USAGE).exception();
    // not getJsonObject: it throws ClassCastException (a 500) for a list or a string, and gives null for null
    Object given = body.getValue("cohort");
    if (given != null && !(given instanceof JsonObject)) {
      throw Problem.of(400, "bad-request", "cohort must be a JSON object of QIDO-RS study keys", RUN_USAGE).exception();
    }
    JsonObject cohort = given == null ? new JsonObject() : (JsonObject) given;
    Map<Integer, String> keys = new HashMap<>();
    for (String k : cohort.fieldNames()) {
      QueryAttribute a = QueryAttributes.byKeyword(k).orElseThrow(() ->
          Problem.of(400, "bad-request", "Unknown cohort key", k + " is not a matching key Imago indexes").exception());
      keys.put(a.tag(), String.valueOf(cohort.getValue(k)));
    }
    Blocking.respond(ctx, () -> runs.start(caller, name, version, keys, cohort.encode()), started -> {
      wakeWorkers.run();
      String href = "/inference/runs/" + started.runId();
      ctx.response().setStatusCode(202).putHeader("Location", href);
      ctx.json(new JsonObject().put("run", started.runId()).put("studies", started.studies()).put("jobs", started.jobs())
          .put("truncated", started.truncated()).put("href", href));
    });
  }

  private void run(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id = Params.id(ctx, "id", "run");
    Blocking.respond(ctx, () -> visible(caller, queue.ofRun(id)), jobs -> {
      Map<JobState, Integer> by = new EnumMap<>(JobState.class);
      for (JobState s : JobState.values()) by.put(s, 0);
      for (Job j : jobs) by.merge(j.state(), 1, Integer::sum);
      int finished = 0;
      for (Job j : jobs) if (j.state().finished()) finished++;
      JsonObject states = new JsonObject();
      by.forEach((s, n) -> states.put(s.id(), n));
      List<JsonObject> failures = new ArrayList<>();
      for (Job j : jobs) {
        if (j.state() == JobState.FAILED || j.state() == JobState.DEAD) {
          failures.add(new JsonObject().put("job", j.id()).put("series", j.seriesUid()).put("reason", j.reason()));
        }
      }
      ctx.json(new JsonObject().put("run", id).put("jobs", jobs.size()).put("finished", finished)
          .put("progress", jobs.isEmpty() ? 1.0 : finished / (double) jobs.size()).put("states", states)
          .put("failures", new JsonArray(failures)));
    });
  }

  /** A study's jobs with their results, the reading audited (AI findings are patient data). */
  private List<Job> readResults(Caller caller, String study, String remote) throws SqlUnavailableException {
    List<Job> jobs = visible(caller, queue.ofStudy(caller.tenantId(), study));
    if (!jobs.isEmpty()) {
      access.record(caller, "ai-results.read", Access.Via.INFERENCE, remote, List.of(new Access.Item(study, null, null)));
    }
    return jobs;
  }


  /**
   * A job is its tenant's, admins included: ids are sequential, and a tenant's admin administers
   * that tenant. A shadow version's job (not clinical) is shown only to that tenant's admins, the
   * region, and researchers of the tenant that owns the model.
   */
  private boolean visible(Caller caller, Job j) throws SqlUnavailableException {
    if (!caller.tenantId().equals(j.tenantId())) return false;
    if (!j.shadow()) return true;
    return switch (caller.role()) {
      case ADMIN, REGION -> true;
      case RESEARCHER -> catalog.find(j.modelName(), j.modelVersion()).map(v -> v.tenantId().equals(caller.tenantId()))
          .orElse(false);
      default -> false;
    };
  }

  private List<Job> visible(Caller caller, List<Job> jobs) throws SqlUnavailableException {
    List<Job> out = new ArrayList<>(jobs.size());
    for (Job j : jobs) if (visible(caller, j)) out.add(j);
    return out;
  }

  static JsonObject json(Job j) {
    JsonObject o = new JsonObject().put("id", j.id()).put("state", j.state().id()).put("tenant", j.tenantId())
        .put("studyInstanceUID", j.studyUid()).put("seriesInstanceUID", j.seriesUid())
        .put("model", new JsonObject().put("name", j.modelName()).put("version", j.modelVersion()))
        .put("instances", j.instances()).put("attempts", j.attempts()).put("reason", j.reason())
        .put("createdAt", String.valueOf(j.createdAt())).put("finishedAt", j.finishedAt() == null ? null : j.finishedAt().toString())
        .put("run", j.runId()).put("worker", j.leaseOwner());
    if (j.result() != null) o.put("result", new JsonObject(j.result()));
    return o;
  }
}
