package imago.models.api;

import imago.core.tenant.Caller;
import imago.inference.manifest.ManifestError;
import imago.models.evaluation.Evaluations;
import imago.models.evaluation.Plots;
import imago.models.registry.ModelRegistry;
import imago.models.registry.RegistryException;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.storage.research.Evaluation;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.InputStreamReadStream;
import imago.web.Params;
import imago.web.Problem;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /models}: the registry's REST API. Uploads are {@code multipart/form-data} with parts
 * {@code manifest} (JSON) and {@code artifact} (the model file), streamed to the spool with a byte
 * budget ({@link ModelUpload}): an upload over {@code models.maxUploadBytes} is refused as soon as
 * it is known to be, by its Content-Length or when the budget runs out, not after it has all arrived.
 */
public final class ModelsRouter {
  private static final Logger LOG = LoggerFactory.getLogger(ModelsRouter.class);
  /** Artifact downloads read on a small pool of their own, one chunk at a time, only while the client keeps up. */
  private static final int DOWNLOAD_THREADS = 4;

  private final Vertx vertx;
  private final ModelRegistry registry;
  private final Access access;
  private final Path spool;
  private final WorkerExecutor downloads;
  private final Evaluations evaluations;

  /** Without research evaluations (and so without a promotion gate): the registry's own tests. */
  public ModelsRouter(Vertx vertx, ModelRegistry registry, Access access, Path spool) {
    this(vertx, registry, access, spool, null);
  }

  public ModelsRouter(Vertx vertx, ModelRegistry registry, Access access, Path spool, Evaluations evaluations) {
    this.evaluations = evaluations;
    this.vertx = vertx;
    this.registry = registry;
    this.access = access;
    this.spool = spool;
    this.downloads = vertx.createSharedWorkerExecutor("imago-model-download", DOWNLOAD_THREADS);
  }

  /** Mounted at {@code /models}. */
  public Routes routes() {
    try {
      Files.createDirectories(spool);
    } catch (IOException e) {
      throw new UncheckedIOException("model upload spool " + spool, e);
    }
    Routes r = new Routes(vertx);
    r.get("/schema").handler(ctx -> ctx.response().putHeader("Content-Type", "application/schema+json")
        .end(registry.parser().schema().encodePrettily()));
    r.filter(access.authenticate()).problem(RegistryException.class, ModelsRouter::problem);
    r.get("").handler(this::list);
    // Refused before a byte of a (possibly 2 GB) upload is read.
    r.post("", Access.requireRole("Role may not register models", "needs role researcher or admin", Caller.Role.RESEARCHER,
        Caller.Role.ADMIN)).handler(this::upload);
    r.get("/:name").handler(this::model);
    r.get("/:name/versions/:version").handler(this::version);
    r.get("/:name/versions/:version/manifest").handler(this::manifest);
    r.get("/:name/versions/:version/artifact").handler(this::download);
    BodyHandler small = BodyHandler.create(false).setBodyLimit(16 * 1024);
    r.post("/:name/versions/:version/activate").handler(small).handler(this::activate);
    r.post("/:name/versions/:version/retire").handler(small).handler(this::retire);
    if (evaluations != null) {
      r.problem(Evaluations.RefusedException.class, e -> Problem.of(e.status(), e.status() == 404 ? "not-found"
          : e.status() == 422 ? "unprocessable" : "conflict", "Evaluation refused", e.getMessage()));
      r.post("/:name/versions/:version/evaluations").handler(small).handler(this::evaluate);
      r.get("/:name/versions/:version/evaluations").handler(this::evaluationList);
      r.get("/:name/versions/:version/evaluations/:id").handler(this::evaluation);
      r.get("/:name/versions/:version/evaluations/:id/plot.svg").handler(this::plot);
    }
    return r;
  }

  /** How each refusal of the registry is answered. */
  static Problem problem(RegistryException e) {
    Problem p = switch (e.reason()) {
      case NOT_PERMITTED -> Problem.of(403, "forbidden", e.title(), e.getMessage());
      case NOT_FOUND -> Problem.of(404, "not-found", e.title(), e.getMessage());
      case INVALID_REQUEST -> Problem.of(400, "bad-request", e.title(), e.getMessage());
      case INVALID_MANIFEST -> Problem.of(422, "invalid-manifest", e.title(), e.getMessage());
      case INVALID_ARTIFACT -> Problem.of(422, "invalid-artifact", e.title(), e.getMessage());
      case VERSION_EXISTS -> Problem.of(409, "conflict", e.title(), e.getMessage());
      case INVALID_STATE -> Problem.of(409, "invalid-state", e.title(), e.getMessage());
      case ARTIFACT_MISSING -> {
        LOG.error("event=model.artifact.missing detail=\"{}\"", e.getMessage());
        yield Problem.of(500, "internal", e.title(), "the artifact is missing from object storage; logged as event=model.artifact.missing");
      }
    };
    if (e.errors().isEmpty()) return p;
    JsonArray errors = new JsonArray();
    for (ManifestError m : e.errors()) errors.add(new JsonObject().put("path", m.path()).put("message", m.message()));
    return p.with("errors", errors);
  }

  /** GET /models?name=&state=&framework=&task=&modality=&q=: the versions the caller may see. */
  private void list(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    HttpServerRequest req = ctx.request();
    ModelState state;
    try {
      state = req.getParam("state") == null ? null : ModelState.parse(req.getParam("state"));
    } catch (IllegalArgumentException e) {
      throw Problem.of(400, "bad-request", "Invalid state", "state is one of registered, validated, active, retired, failed")
          .exception();
    }
    String framework = req.getParam("framework");
    String task = req.getParam("task");
    String modality = req.getParam("modality");
    String q = req.getParam("q") == null ? null : req.getParam("q").toLowerCase(Locale.ROOT);
    Blocking.respond(ctx, () -> registry.list(caller, req.getParam("name"), state), versions -> {
      JsonArray out = new JsonArray();
      for (ModelVersion v : versions) {
        if (framework != null && !framework.equals(v.framework())) continue;
        if (task != null && !task.equals(v.task())) continue;
        JsonObject json = ModelJson.version(v, null);
        JsonObject manifest = json.getJsonObject("manifest");
        if (modality != null && !manifest.getJsonObject("applicability").getJsonArray("modalities").contains(modality)) continue;
        if (q != null && !(v.name() + " " + manifest.getString("description", "")).toLowerCase(Locale.ROOT).contains(q)) continue;
        out.add(json);
      }
      ctx.response().putHeader("Content-Type", "application/json").end(out.encode());
    });
  }

  /** GET /models/{name}: the model's owner and its versions, newest first. */
  private void model(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String name = ctx.pathParam("name");
    Blocking.respond(ctx, () -> registry.list(caller, name, null), versions -> {
      if (versions.isEmpty()) throw Params.notFound("model", name);
      JsonArray list = new JsonArray();
      versions.forEach(v -> list.add(ModelJson.version(v, null)));
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("name", name).put("tenant", versions.get(0).tenantId()).put("versions", list).encode());
    });
  }

  private void version(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      ModelVersion v = registry.visible(caller, ctx.pathParam("name"), ctx.pathParam("version"));
      return ModelJson.version(v, registry.history(v));
    }, json -> ctx.response().putHeader("Content-Type", "application/json").end(json.encode()));
  }

  private void manifest(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> registry.visible(caller, ctx.pathParam("name"), ctx.pathParam("version")).manifestJson(),
        json -> ctx.response().putHeader("Content-Type", "application/json").end(json));
  }

  /** The artifact, byte for byte as registered; its SHA-256 is the ETag and a Repr-Digest (RFC 9530). */
  private void download(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String etagAsked = ctx.request().getHeader("If-None-Match");
    Blocking.respond(ctx, () -> {
      ModelVersion v = registry.downloadable(caller, ctx.pathParam("name"), ctx.pathParam("version"));
      return new Download(v, ("\"" + v.artifactSha256() + "\"").equals(etagAsked) ? null : registry.artifact(v));
    }, d -> {
      if (d.content() == null) {
        ctx.response().setStatusCode(304).end();
        return;
      }
      try {
        send(ctx, d);
      } catch (RuntimeException e) {
        closeQuietly(d.content());
        throw e;
      }
    });
  }

  /** Streams the artifact: one 64 KiB read at a time on the download pool, only while the client keeps up. */
  private void send(RoutingContext ctx, Download d) {
    ModelVersion v = d.version();
    String file = Path.of(v.artifactKey()).getFileName().toString();
    ctx.response().setChunked(true).putHeader("Content-Type", "application/octet-stream")
        .putHeader("Content-Disposition", "attachment; filename=\"" + v.name() + "-" + v.version() + "-" + file + "\"")
        .putHeader("ETag", "\"" + v.artifactSha256() + "\"")
        .putHeader("Repr-Digest", "sha-256=:" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(v.artifactSha256()))
            + ":");
    InputStreamReadStream stream = new InputStreamReadStream(vertx.getOrCreateContext(), downloads, d.content());
    stream.pipe().endOnFailure(false).to(ctx.response()).onFailure(e -> {
      LOG.warn("event=model.download.failed name={} version={} error={}", v.name(), v.version(), e.getMessage());
      stream.close();
      ctx.response().reset();
    });
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // nothing was sent from it
    }
  }

  /** A version to download, and its bytes (null: the client has them already). */
  private record Download(ModelVersion version, InputStream content) {}

  /**
   * POST .../activate {"mode": "primary" | "shadow", "override": "reason"} (the region). Making a version primary
   * passes the promotion gate: refused (409, with the figures) when its newest evaluation on a
   * research cohort is worse than the primary's by more than models.promotionMargin, unless the
   * region overrides it with a reason, which the model's history and the audit keep.
   */
  private void activate(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body = Params.optionalJsonBody(ctx, "POST .../activate {\"mode\": \"primary\" | \"shadow\", "
        + "\"override\": \"why the promotion gate is overridden\"}");
    String mode = java.util.Optional.ofNullable(Params.string(body, "mode")).orElse(ModelVersion.PRIMARY);
    String override = Params.string(body, "override");
    if (override != null && override.length() > 1000) {
      throw Problem.of(400, "bad-request", "Override reason too long", "1000 characters at most").exception();
    }
    String name = ctx.pathParam("name");
    String version = ctx.pathParam("version");
    Blocking.respond(ctx, () -> {
      String detail = null;
      if (evaluations != null && ModelVersion.PRIMARY.equals(mode) && caller.role() == Caller.Role.REGION) {
        java.util.Optional<JsonObject> comparison = evaluations.latestComparison(name, version);
        if (comparison.isPresent() && comparison.get().getBoolean("worse", false)) {
          JsonObject c = comparison.get();
          String figures = String.format(java.util.Locale.ROOT, "%s %.3f against the primary's %.3f on project %s "
              + "(evaluation %d), more than the margin %.3f below", c.getString("metric"), c.getDouble("candidate"),
              c.getDouble("baseline"), c.getString("project"), c.getLong("evaluation"), c.getDouble("margin"));
          if (override == null || override.isBlank()) {
            throw Problem.of(409, "promotion-refused", "Worse than the primary", figures
                + "; an override with a reason (\"override\": \"...\") promotes it anyway").with("comparison", c).exception();
          }
          detail = "promotion gate overridden (" + figures + "): " + override.trim();
          access.record(caller, "model.promote.override", Access.Via.ADMIN, Access.remote(ctx),
              java.util.List.of(new Access.Item(null, null, null)));
          LOG.warn("event=model.promotion.override model={}:{} by={} reason=\"{}\"", name, version, caller.principal(),
              override.trim().replace('"', '\''));
        }
      }
      return ModelJson.version(registry.activate(caller, name, version, mode, detail), null);
    }, json -> ctx.response().putHeader("Content-Type", "application/json").end(json.encode()));
  }

  /** POST .../evaluations {"project": "p"}: 202 and the evaluation, which the workers then run. */
  private void evaluate(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String project = Params.string(Params.jsonBody(ctx, "POST .../evaluations {\"project\": \"research project\"}"), "project");
    if (project == null || project.isBlank()) {
      throw Problem.of(400, "bad-request", "project is required", "the research project whose cohort and labels judge the version")
          .exception();
    }
    Blocking.respond(ctx, () -> evaluationJson(evaluations.start(caller, ctx.pathParam("name"), ctx.pathParam("version"),
        project), null), json -> ctx.response().setStatusCode(202)
        .putHeader("Location", ctx.request().path() + "/" + json.getLong("id"))
        .putHeader("Content-Type", "application/json").end(json.encodePrettily()));
  }

  private void evaluationList(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      JsonArray out = new JsonArray();
      for (Evaluation e : evaluations.of(ctx.pathParam("name"), ctx.pathParam("version"))) {
        if (evaluations.readable(caller, e)) out.add(evaluationJson(e, null).put("report", (Object) null));
      }
      return out;
    }, a -> ctx.response().putHeader("Content-Type", "application/json").end(a.encodePrettily()));
  }

  private void evaluation(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id = Params.id(ctx, "id", "evaluation");
    Blocking.respond(ctx, () -> {
      Evaluations.Looked l = readable(ctx, caller, id);
      return evaluationJson(l.evaluation(), l.progress());
    }, json -> ctx.response().putHeader("Content-Type", "application/json").end(json.encodePrettily()));
  }

  /** GET .../evaluations/{id}/plot.svg[?finding=F]: ROC or FROC of the candidate beside the primary. */
  private void plot(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    long id = Params.id(ctx, "id", "evaluation");
    String finding = ctx.queryParams().get("finding");
    Blocking.respond(ctx, () -> {
      Evaluation e = readable(ctx, caller, id).evaluation();
      if (e.state() != Evaluation.State.DONE) {
        throw Problem.of(409, "not-ready", "No report yet", "evaluation " + id + " is " + e.state().id()).exception();
      }
      JsonObject report = new JsonObject(e.report());
      for (Object o : report.getJsonArray("findings")) {
        JsonObject f = (JsonObject) o;
        if (finding == null || finding.equals(f.getString("finding"))) {
          return Plots.svg(e.modelName(), f, "detection".equals(report.getString("task")));
        }
      }
      throw Params.notFound("finding", finding);
    }, svg -> ctx.response().putHeader("Content-Type", "image/svg+xml").putHeader("Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'").end(svg));
  }

  /** The evaluation of the path, for who may read it (checked before anything is computed); 404 otherwise. */
  private Evaluations.Looked readable(RoutingContext ctx, Caller caller, long id) throws Exception {
    java.util.Optional<Evaluation> e = evaluations.find(id);
    if (e.isEmpty() || !e.get().modelName().equals(ctx.pathParam("name")) || !e.get().modelVersion().equals(ctx.pathParam("version"))
        || !evaluations.readable(caller, e.get())) {
      throw Params.notFound("evaluation", String.valueOf(id));
    }
    return evaluations.look(id).orElseThrow();
  }

  private JsonObject evaluationJson(Evaluation e, JsonObject progress) {
    JsonObject j = new JsonObject().put("id", e.id()).put("project", e.project()).put("model", e.modelName())
        .put("version", e.modelVersion()).put("baseline", e.baselineVersion()).put("state", e.state().id())
        .put("requestedBy", e.requestedBy()).put("requestedAt", e.requestedAt().toString())
        .put("finishedAt", e.finishedAt() == null ? null : e.finishedAt().toString());
    if (progress != null) j.put("progress", progress);
    if (e.report() != null) j.put("report", new JsonObject(e.report()));
    if (e.state() == Evaluation.State.DONE) {
      j.put("plot", "/models/" + e.modelName() + "/versions/" + e.modelVersion() + "/evaluations/" + e.id() + "/plot.svg");
    }
    return j;
  }

  /** POST .../retire {"reason": "..."}. */
  private void retire(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String reason = Params.optionalJsonBody(ctx, "POST .../retire {\"reason\": ...}").getString("reason");
    Blocking.respond(ctx, () -> ModelJson.version(registry.retire(caller, ctx.pathParam("name"), ctx.pathParam("version"),
        reason), null), json -> ctx.response().putHeader("Content-Type", "application/json").end(json.encode()));
  }

  /** POST /models (multipart/form-data: manifest, artifact). */
  private void upload(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    long limit = registry.config().maxUploadBytes();
    String length = req.getHeader("Content-Length");
    if (length != null && parseLong(length) > limit) {
      ModelUpload.refuseTooLarge(ctx, limit, "Content-Length " + length);
      return;
    }
    String type = req.getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      throw Problem.of(415, "unsupported-media-type", "multipart/form-data expected",
          "POST /models takes multipart/form-data with parts manifest (JSON) and artifact (the model file)").exception();
    }
    new ModelUpload(ctx, Access.caller(ctx), registry, spool).start();
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
