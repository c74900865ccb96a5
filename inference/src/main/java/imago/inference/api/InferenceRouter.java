package imago.inference.api;

import imago.core.tenant.Caller;
import imago.inference.schedule.Scheduler;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryAttribute;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryRequest;
import imago.storage.index.query.QueryResult;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import imago.storage.models.ModelCatalog;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.web.Access;
import imago.web.Problem;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code /inference}: jobs and their JSON results, re-runs and backfills over a QIDO-style cohort,
 * and a study's AI results. Every answer is scoped to the caller's tenant (other tenants' jobs are
 * 404, as studies are).
 */
public final class InferenceRouter {
  /** Studies a single run may cover; larger cohorts are split by the caller. */
  static final int MAX_COHORT = 10_000;

  private final Vertx vertx;
  private final JobQueue queue;
  private final Scheduler scheduler;
  private final ModelCatalog catalog;
  private final Index index;
  private final Access access;
  private final Runnable wakeWorkers;

  public InferenceRouter(Vertx vertx, JobQueue queue, Scheduler scheduler, ModelCatalog catalog, Index index,
      Access access, Runnable wakeWorkers) {
    this.vertx = vertx;
    this.queue = queue;
    this.scheduler = scheduler;
    this.catalog = catalog;
    this.index = index;
    this.access = access;
    this.wakeWorkers = wakeWorkers;
  }

  /** Mounted at {@code /inference}. */
  public Router router() {
    Router r = Router.router(vertx);
    r.route().handler(access.authenticate());
    r.get("/jobs/:id").handler(this::job);
    r.get("/jobs").handler(this::jobs);
    r.post("/runs").handler(BodyHandler.create().setBodyLimit(64 * 1024)).handler(this::newRun);
    r.get("/runs/:id").handler(this::run);
    r.get("/studies/:study/ai-results").handler(this::aiResults);
    return r;
  }

  private void job(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      Problem.of(404, "not-found", "No such job", ctx.pathParam("id")).send(ctx.response());
      return;
    }
    blocking(ctx, () -> queue.find(id).filter(j -> visible(caller, j)), found -> {
      Optional<Job> j = found;
      if (j.isEmpty()) Problem.of(404, "not-found", "No such job", "job " + id).send(ctx.response());
      else ctx.json(json(j.get()));
    });
  }

  private void jobs(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = ctx.request().getParam("studyUID");
    if (study == null) {
      Problem.of(400, "bad-request", "studyUID is required", "GET /inference/jobs?studyUID=...").send(ctx.response());
      return;
    }
    blocking(ctx, () -> queue.ofStudy(caller.tenantId(), study), list -> {
      JsonArray out = new JsonArray();
      for (Job j : list) out.add(json(j));
      ctx.json(out);
    });
  }

  /** The study's finished results, newest model run first: what the viewer and the FSE link show. */
  private void aiResults(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String study = ctx.pathParam("study");
    blocking(ctx, () -> queue.ofStudy(caller.tenantId(), study), list -> {
      if (list.isEmpty()) {
        Problem.of(404, "not-found", "No AI results", "no inference job for study " + study).send(ctx.response());
        return;
      }
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
    if (caller.role() == Caller.Role.RADIOLOGIST) {
      Problem.of(403, "forbidden", "Role may not start runs", "runs are started by hospital, researcher or admin roles")
          .send(ctx.response());
      return;
    }
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null || body.getString("model") == null || body.getString("version") == null) {
      Problem.of(400, "bad-request", "model and version are required",
          "POST /inference/runs {\"model\": ..., \"version\": ..., \"cohort\": {QIDO study keys}}").send(ctx.response());
      return;
    }
    JsonObject cohort = body.getJsonObject("cohort", new JsonObject());
    Map<Integer, String> keys = new HashMap<>();
    for (String k : cohort.fieldNames()) {
      Optional<QueryAttribute> a = QueryAttributes.byKeyword(k);
      if (a.isEmpty()) {
        Problem.of(400, "bad-request", "Unknown cohort key", k + " is not a matching key Imago indexes").send(ctx.response());
        return;
      }
      keys.put(a.get().tag(), String.valueOf(cohort.getValue(k)));
    }
    String name = body.getString("model");
    String version = body.getString("version");
    blocking(ctx, () -> {
      Optional<ModelVersion> v = catalog.find(name, version);
      if (v.isEmpty() || !(v.get().state() == ModelState.ACTIVE || v.get().state() == ModelState.VALIDATED)) {
        return Problem.of(409, "invalid-state", "Model version not runnable", name + " " + version
            + (v.isEmpty() ? " is not registered" : " is " + v.get().state().id() + "; runs take a validated or active version"));
      }
      QueryResult studies;
      try {
        studies = index.query(imago.storage.index.Scope.tenant(caller.tenantId()), QueryRequest.of(QueryLevel.STUDY, keys, MAX_COHORT));
      } catch (InvalidQueryException e) {
        return Problem.of(400, "bad-request", "Invalid cohort", e.getMessage());
      }
      long runId = queue.newRun(caller.tenantId(), name, version, cohort.encode(), caller.subject());
      int created = 0;
      for (QueryMatch m : studies.matches()) {
        created += scheduler.schedule(caller.tenantId(), m.studyUid(), List.of(v.get()), runId).size();
      }
      return new JsonObject().put("run", runId).put("studies", studies.matches().size()).put("jobs", created)
          .put("truncated", studies.more()).put("href", "/inference/runs/" + runId);
    }, out -> {
      if (out instanceof Problem p) {
        p.send(ctx.response());
        return;
      }
      wakeWorkers.run();
      JsonObject json = (JsonObject) out;
      ctx.response().setStatusCode(202).putHeader("Location", json.getString("href"));
      ctx.json(json);
    });
  }

  private void run(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      Problem.of(404, "not-found", "No such run", ctx.pathParam("id")).send(ctx.response());
      return;
    }
    blocking(ctx, () -> queue.ofRun(id).stream().filter(j -> visible(caller, j)).toList(), list -> {
      List<Job> jobs = list;
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

  private static boolean visible(Caller caller, Job j) {
    return caller.role() == Caller.Role.ADMIN || caller.tenantId().equals(j.tenantId());
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

  @FunctionalInterface
  private interface Work<T> {
    T run() throws SqlUnavailableException;
  }

  private <T> void blocking(RoutingContext ctx, Work<T> work, Consumer<T> then) {
    // an unavailable index becomes 503 in WebServer's failure handler
    vertx.executeBlocking(work::run, false).onSuccess(then::accept).onFailure(ctx::fail);
  }
}
