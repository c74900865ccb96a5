package imago.models.api;

import imago.core.tenant.Caller;
import imago.inference.manifest.ManifestError;
import imago.models.registry.ModelRegistry;
import imago.models.registry.RegistryException;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.web.Access;
import imago.web.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /models}: the registry's REST API. Uploads are {@code multipart/form-data} with parts
 * {@code manifest} (JSON) and {@code artifact} (the model file), streamed to the spool with a byte
 * budget: an upload over {@code models.maxUploadBytes} is refused as soon as it is known to be, by
 * its Content-Length or when the budget runs out, not after it has all arrived.
 */
public final class ModelsRouter {
  private static final Logger LOG = LoggerFactory.getLogger(ModelsRouter.class);
  private static final int CHUNK = 64 * 1024;

  private final Vertx vertx;
  private final ModelRegistry registry;
  private final Access access;
  private final Path spool;

  public ModelsRouter(Vertx vertx, ModelRegistry registry, Access access, Path spool) {
    this.vertx = vertx;
    this.registry = registry;
    this.access = access;
    this.spool = spool;
  }

  public Router router() {
    try {
      Files.createDirectories(spool);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("model upload spool " + spool, e);
    }
    Router r = Router.router(vertx);
    r.get("/schema").handler(ctx -> ctx.response().putHeader("Content-Type", "application/schema+json")
        .end(registry.parser().schema().encodePrettily()));
    r.route().handler(access.authenticate());
    // "/?": the mount point itself (/models) as well as /models/.
    r.getWithRegex("/?").handler(this::list);
    r.postWithRegex("/?").handler(this::upload);
    r.get("/:name").handler(this::model);
    r.get("/:name/versions/:version").handler(this::version);
    r.get("/:name/versions/:version/manifest").handler(this::manifest);
    r.get("/:name/versions/:version/artifact").handler(this::download);
    BodyHandler small = BodyHandler.create().setBodyLimit(16 * 1024);
    r.post("/:name/versions/:version/activate").handler(small).handler(this::activate);
    r.post("/:name/versions/:version/retire").handler(small).handler(this::retire);
    return r;
  }

  /** GET /models?name=&state=&framework=&task=&modality=&q=: the versions the caller may see. */
  private void list(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    HttpServerRequest req = ctx.request();
    ModelState state;
    try {
      state = req.getParam("state") == null ? null : ModelState.parse(req.getParam("state"));
    } catch (IllegalArgumentException e) {
      Problem.of(400, "bad-request", "Invalid state", "state is one of registered, validated, active, retired, failed")
          .send(ctx.response());
      return;
    }
    String framework = req.getParam("framework");
    String task = req.getParam("task");
    String modality = req.getParam("modality");
    String q = req.getParam("q") == null ? null : req.getParam("q").toLowerCase(Locale.ROOT);
    blocking(ctx, () -> {
      JsonArray out = new JsonArray();
      for (ModelVersion v : registry.list(caller, req.getParam("name"), state)) {
        if (framework != null && !framework.equals(v.framework())) continue;
        if (task != null && !task.equals(v.task())) continue;
        JsonObject json = ModelJson.version(v, null);
        JsonObject manifest = json.getJsonObject("manifest");
        if (modality != null && !manifest.getJsonObject("applicability").getJsonArray("modalities").contains(modality)) continue;
        if (q != null && !(v.name() + " " + manifest.getString("description", "")).toLowerCase(Locale.ROOT).contains(q)) continue;
        out.add(json);
      }
      return out;
    }, out -> ctx.response().putHeader("Content-Type", "application/json").end(((JsonArray) out).encode()));
  }

  /** GET /models/{name}: the model's owner and its versions, newest first. */
  private void model(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String name = ctx.pathParam("name");
    blocking(ctx, () -> {
      List<ModelVersion> versions = registry.list(caller, name, null);
      if (versions.isEmpty()) throw new RegistryException(404, "not-found", "No such model", name);
      JsonArray list = new JsonArray();
      versions.forEach(v -> list.add(ModelJson.version(v, null)));
      return new JsonObject().put("name", name).put("tenant", versions.get(0).tenantId()).put("versions", list);
    }, json -> ctx.response().putHeader("Content-Type", "application/json").end(((JsonObject) json).encode()));
  }

  private void version(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    blocking(ctx, () -> {
      ModelVersion v = registry.visible(caller, ctx.pathParam("name"), ctx.pathParam("version"));
      return ModelJson.version(v, registry.history(v));
    }, json -> ctx.response().putHeader("Content-Type", "application/json").end(((JsonObject) json).encode()));
  }

  private void manifest(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    blocking(ctx, () -> registry.visible(caller, ctx.pathParam("name"), ctx.pathParam("version")).manifestJson(),
        json -> ctx.response().putHeader("Content-Type", "application/json").end((String) json));
  }

  /** The artifact, byte for byte as registered; its SHA-256 is the ETag and a Repr-Digest (RFC 9530). */
  private void download(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    blocking(ctx, () -> {
      ModelVersion v = registry.visible(caller, ctx.pathParam("name"), ctx.pathParam("version"));
      if (!ModelRegistry.canDownload(caller, v)) {
        throw new RegistryException(403, "forbidden", "Artifact not downloadable",
            "artifacts are downloadable by their tenant's researchers and admins");
      }
      return v;
    }, found -> {
      ModelVersion v = (ModelVersion) found;
      String etag = "\"" + v.artifactSha256() + "\"";
      if (etag.equals(ctx.request().getHeader("If-None-Match"))) {
        ctx.response().setStatusCode(304).end();
        return;
      }
      String file = Path.of(v.artifactKey()).getFileName().toString();
      ctx.response().setChunked(true).putHeader("Content-Type", "application/octet-stream")
          .putHeader("Content-Disposition", "attachment; filename=\"" + v.name() + "-" + v.version() + "-" + file + "\"")
          .putHeader("ETag", etag)
          .putHeader("Repr-Digest", "sha-256=:" + java.util.Base64.getEncoder().encodeToString(
              java.util.HexFormat.of().parseHex(v.artifactSha256())) + ":");
      streamArtifact(ctx, v);
    });
  }

  private void streamArtifact(RoutingContext ctx, ModelVersion v) {
    vertx.executeBlocking(() -> {
      try (InputStream in = registry.artifact(v)) {
        byte[] buf = new byte[CHUNK];
        for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
          if (ctx.response().closed()) break;
          // Wait for each chunk to be written: back-pressure without holding the artifact in memory.
          ctx.response().write(Buffer.buffer(java.util.Arrays.copyOf(buf, n)))
              .toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
      }
      return null;
    }, false).onComplete(done -> {
      if (done.failed()) {
        LOG.warn("event=model.download.failed name={} version={} error={}", v.name(), v.version(), done.cause().getMessage());
        ctx.response().reset();
      } else if (!ctx.response().ended()) {
        ctx.response().end();
      }
    });
  }

  /** POST .../activate {"mode": "primary" | "shadow"}: admins only. */
  private void activate(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body = jsonBody(ctx);
    String mode = body.getString("mode", ModelVersion.PRIMARY);
    blocking(ctx, () -> ModelJson.version(registry.activate(caller, ctx.pathParam("name"), ctx.pathParam("version"), mode), null),
        json -> ctx.response().putHeader("Content-Type", "application/json").end(((JsonObject) json).encode()));
  }

  /** POST .../retire {"reason": "..."}. */
  private void retire(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body = jsonBody(ctx);
    blocking(ctx, () -> ModelJson.version(registry.retire(caller, ctx.pathParam("name"), ctx.pathParam("version"),
            body.getString("reason")), null),
        json -> ctx.response().putHeader("Content-Type", "application/json").end(((JsonObject) json).encode()));
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().length() == 0 ? null : ctx.body().asJsonObject();
      return body == null ? new JsonObject() : body;
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  /** POST /models (multipart/form-data: manifest, artifact). */
  private void upload(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    Caller caller = Access.caller(ctx);
    long limit = registry.config().maxUploadBytes();
    String length = req.getHeader("Content-Length");
    if (length != null && parseLong(length) > limit) {
      refuseTooLarge(ctx, limit, "Content-Length " + length);
      return;
    }
    String type = req.getHeader("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      req.resume();
      Problem.of(415, "unsupported-media-type", "multipart/form-data expected",
          "POST /models takes multipart/form-data with parts manifest (JSON) and artifact (the model file)").send(ctx.response());
      return;
    }
    new Upload(ctx, caller, limit).start();
  }

  /** One multipart upload in flight: its parts spooled to files, its byte budget, its outcome. */
  private final class Upload {
    private final RoutingContext ctx;
    private final Caller caller;
    private final long limit;
    private final Map<String, Path> parts = new HashMap<>();
    private long bytes;
    private int open;
    private boolean ended;
    private boolean failed;

    Upload(RoutingContext ctx, Caller caller, long limit) {
      this.ctx = ctx;
      this.caller = caller;
      this.limit = limit;
    }

    void start() {
      HttpServerRequest req = ctx.request();
      req.setExpectMultipart(true);
      req.uploadHandler(this::part);
      req.exceptionHandler(e -> abort(null));
      req.endHandler(v -> {
        ended = true;
        finishIfDone();
      });
      req.resume();
    }

    private void part(HttpServerFileUpload upload) {
      String name = upload.name();
      if (failed) return;
      if (!name.equals("manifest") && !name.equals("artifact") || parts.containsKey(name)) {
        abort(Problem.of(400, "bad-request", "Unexpected part", "part '" + name
            + "': POST /models takes exactly one manifest and one artifact part"));
        return;
      }
      upload.pause();
      open++;
      Path file = spool.resolve("model-" + UUID.randomUUID() + ".part");
      parts.put(name, file);
      vertx.fileSystem().open(file.toString(), new OpenOptions().setWrite(true).setCreateNew(true)).onComplete(opened -> {
        if (opened.failed()) {
          abort(Problem.of(500, "internal", "Spool unavailable", opened.cause().getMessage()));
          return;
        }
        AsyncFile out = opened.result();
        if (failed) {
          // Refused while the file was being created: the discard ran before it existed.
          out.close().onComplete(closed -> vertx.fileSystem().delete(file.toString()));
          return;
        }
        upload.handler(buf -> {
          if (failed) return;
          bytes += buf.length();
          if (bytes > limit) {
            failed = true;
            // The spool files go before the answer does: a client that sees 413 finds nothing left.
            out.close().transform(closed -> discardParts())
                .onComplete(discarded -> refuseTooLarge(ctx, limit, "more than " + limit + " bytes received"));
            return;
          }
          out.write(buf);
          if (out.writeQueueFull()) {
            upload.pause();
            out.drainHandler(v -> upload.resume());
          }
        });
        upload.exceptionHandler(e -> {
          out.close();
          abort(null);
        });
        upload.endHandler(v -> out.close().onComplete(closed -> {
          open--;
          finishIfDone();
        }));
        upload.resume();
      });
    }

    private void finishIfDone() {
      if (failed || !ended || open > 0) return;
      Path manifestFile = parts.get("manifest");
      String manifestField = ctx.request().getFormAttribute("manifest");
      Path artifact = parts.get("artifact");
      if ((manifestFile == null && manifestField == null) || artifact == null) {
        abort(Problem.of(400, "bad-request", "Missing part", "POST /models needs both a manifest and an artifact part"
            + " (missing: " + (artifact == null ? "artifact" : "manifest") + ")"));
        return;
      }
      blocking(ctx, () -> {
        byte[] manifest = manifestFile != null ? Files.readAllBytes(manifestFile) : manifestField.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (manifestFile != null) Files.deleteIfExists(manifestFile);
        return registry.register(caller, manifest, artifact);
      }, result -> {
        ModelRegistry.Registration reg = (ModelRegistry.Registration) result;
        ModelVersion v = reg.version();
        JsonObject json = ModelJson.version(v, null);
        String location = "/models/" + v.name() + "/versions/" + v.version();
        if (v.state() == ModelState.FAILED) {
          Problem p = Problem.of(422, "validation-failed", "Model failed validation", v.reason())
              .with("version", json);
          p.send(ctx.response().putHeader("Location", location));
          return;
        }
        ctx.response().setStatusCode(reg.validating() ? 202 : 201).putHeader("Location", location)
            .putHeader("Content-Type", "application/json").end(json.encode());
      });
    }

    private void abort(Problem problem) {
      if (failed) return;
      failed = true;
      discardParts().onComplete(discarded -> {
        if (problem == null || ctx.response().ended()) return;
        problem.send(ctx.response().putHeader("Connection", "close"));
        ctx.response().endHandler(v -> ctx.request().connection().close());
      });
    }

    /** Deletes every spooled part; completes when all are gone (a part already gone is no error). */
    private Future<Void> discardParts() {
      List<Future<Void>> deletes = new ArrayList<>();
      for (Path p : parts.values()) {
        deletes.add(vertx.fileSystem().delete(p.toString()).otherwiseEmpty());
      }
      return Future.join(deletes).mapEmpty();
    }
  }

  private static void refuseTooLarge(RoutingContext ctx, long limit, String seen) {
    HttpServerResponse response = ctx.response();
    if (response.ended()) return;
    // Answer now and close: reading the rest of a 2 GB body only to refuse it wastes the link.
    response.putHeader("Connection", "close");
    Problem.of(413, "payload-too-large", "Upload too large", seen + "; models.maxUploadBytes is " + limit)
        .send(response);
    vertx(ctx).setTimer(100, t -> ctx.request().connection().close());
  }

  private static Vertx vertx(RoutingContext ctx) {
    return ctx.vertx();
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @FunctionalInterface
  private interface Work {
    Object run() throws RegistryException, IOException;
  }

  /** Runs registry work off the event loop; a RegistryException becomes its problem+json. */
  private void blocking(RoutingContext ctx, Work work, java.util.function.Consumer<Object> then) {
    vertx.executeBlocking(work::run, false).onSuccess(then::accept).onFailure(e -> {
      if (e instanceof RegistryException r) {
        Problem p = Problem.of(r.status(), r.type(), r.title(), r.getMessage());
        if (!r.errors().isEmpty()) {
          JsonArray errors = new JsonArray();
          for (ManifestError m : r.errors()) errors.add(new JsonObject().put("path", m.path()).put("message", m.message()));
          p = p.with("errors", errors);
        }
        p.send(ctx.response());
      } else {
        ctx.fail(e);
      }
    });
  }
}
