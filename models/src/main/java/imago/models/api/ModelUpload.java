package imago.models.api;

import imago.core.tenant.Caller;
import imago.models.registry.ModelRegistry;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.web.Blocking;
import imago.web.Problem;
import io.vertx.core.Future;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One {@code POST /models} in flight. Its parts ({@code manifest}, {@code artifact}) stream to
 * spool files under a byte budget; it ends in one of two ways, once: <em>refused</em> (an
 * unexpected or missing part, the budget exceeded, a broken connection: the spool files are
 * deleted before the answer goes out) or <em>registered</em> (the files go to the registry, which
 * answers 201, 202 while a large artifact validates, or 422 when validation failed).
 */
final class ModelUpload {
  private final RoutingContext ctx;
  private final Caller caller;
  private final ModelRegistry registry;
  private final Path spool;
  private final long limit;
  private final Map<String, Path> parts = new HashMap<>();
  private long bytes;
  private int open;
  private boolean ended;
  private boolean refused;

  ModelUpload(RoutingContext ctx, Caller caller, ModelRegistry registry, Path spool) {
    this.ctx = ctx;
    this.caller = caller;
    this.registry = registry;
    this.spool = spool;
    this.limit = registry.config().maxUploadBytes();
  }

  /** Starts reading the (paused) request body. */
  void start() {
    HttpServerRequest req = ctx.request();
    req.setExpectMultipart(true);
    req.uploadHandler(this::part);
    // A body the form decoder cannot read fails the request like a broken connection does: answer
    // it either way (a client that is gone misses nothing), or a malformed form waits unanswered.
    req.exceptionHandler(e -> refuse(malformed()));
    req.endHandler(v -> {
      ended = true;
      registerIfComplete();
    });
    req.resume();
  }

  private void part(HttpServerFileUpload upload) {
    String name = upload.name();
    if (refused) return;
    if (!name.equals("manifest") && !name.equals("artifact") || parts.containsKey(name)) {
      refuse(Problem.of(400, "bad-request", "Unexpected part", "part '" + name
          + "': POST /models takes exactly one manifest and one artifact part"));
      return;
    }
    upload.pause();
    open++;
    Path file = spool.resolve("model-" + UUID.randomUUID() + ".part");
    parts.put(name, file);
    ctx.vertx().fileSystem().open(file.toString(), new OpenOptions().setWrite(true).setCreateNew(true)).onComplete(opened -> {
      if (opened.failed()) {
        refuse(Problem.of(500, "internal", "Spool unavailable", opened.cause().getMessage()));
        return;
      }
      AsyncFile out = opened.result();
      if (refused) {
        // Refused while the file was being created: the discard ran before it existed.
        out.close().onComplete(closed -> ctx.vertx().fileSystem().delete(file.toString()));
        return;
      }
      upload.handler(buf -> {
        if (refused) return;
        bytes += buf.length();
        if (bytes > limit) {
          refused = true;
          // out is closed here, once: the connection this refusal closes must not close it again
          upload.exceptionHandler(null);
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
        refuse(malformed());
      });
      upload.endHandler(v -> out.close().onComplete(closed -> {
        open--;
        registerIfComplete();
      }));
      upload.resume();
    });
  }

  private void registerIfComplete() {
    if (refused || !ended || open > 0) return;
    Path manifestFile = parts.get("manifest");
    String manifestField = ctx.request().getFormAttribute("manifest");
    Path artifact = parts.get("artifact");
    if ((manifestFile == null && manifestField == null) || artifact == null) {
      refuse(Problem.of(400, "bad-request", "Missing part", "POST /models needs both a manifest and an artifact part"
          + " (missing: " + (artifact == null ? "artifact" : "manifest") + ")"));
      return;
    }
    Blocking.respond(ctx, () -> {
      byte[] manifest;
      try {
        manifest = manifestFile != null ? Files.readAllBytes(manifestFile) : manifestField.getBytes(StandardCharsets.UTF_8);
      } catch (IOException e) {
        Files.deleteIfExists(artifact); // register would have taken it over; nothing will now
        throw e;
      } finally {
        if (manifestFile != null) Files.deleteIfExists(manifestFile);
      }
      return registry.register(caller, manifest, artifact);
    }, this::answer);
  }

  private void answer(ModelRegistry.Registration registration) {
    ModelVersion v = registration.version();
    JsonObject json = ModelJson.version(v, null);
    String location = "/models/" + v.name() + "/versions/" + v.version();
    ctx.response().putHeader("Location", location);
    if (v.state() == ModelState.FAILED) {
      Problem.of(422, "validation-failed", "Model failed validation", v.reason()).with("version", json).send(ctx);
      return;
    }
    ctx.response().setStatusCode(registration.validating() ? 202 : 201).putHeader("Content-Type", "application/json")
        .end(json.encode());
  }

  /** Ends the upload without registering: spool files deleted, then the problem (none: the client is gone). */
  private void refuse(Problem problem) {
    if (refused) return;
    refused = true;
    discardParts().onComplete(discarded -> {
      if (problem == null || ctx.response().ended()) return;
      problem.send(ctx.response().putHeader("Connection", "close"));
      ctx.response().endHandler(v -> ctx.request().connection().close());
    });
  }

  private static Problem malformed() {
    return Problem.of(400, "bad-request", "Malformed form",
        "POST /models takes multipart/form-data with parts manifest (JSON) and artifact (the model file)");
  }

  /** Deletes every spooled part; completes when all are gone (a part already gone is no error). */
  private Future<Void> discardParts() {
    List<Future<Void>> deletes = new ArrayList<>();
    for (Path p : parts.values()) {
      deletes.add(ctx.vertx().fileSystem().delete(p.toString()).otherwiseEmpty());
    }
    return Future.join(deletes).mapEmpty();
  }

  /**
   * 413, answered at once and the connection closed: reading the rest of a 2 GB body only to refuse
   * it wastes the link (so the paused body is not resumed).
   */
  static void refuseTooLarge(RoutingContext ctx, long limit, String seen) {
    HttpServerResponse response = ctx.response();
    if (response.ended()) return;
    response.putHeader("Connection", "close");
    Problem.of(413, "payload-too-large", "Upload too large", seen + "; models.maxUploadBytes is " + limit).send(response);
    ctx.vertx().setTimer(100, t -> ctx.request().connection().close());
  }
}
