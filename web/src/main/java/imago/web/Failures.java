package imago.web;

import imago.storage.index.SqlUnavailableException;
import imago.storage.object.ObjectStore;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a failed request is answered, wherever it failed: a {@link ProblemException} as it is, an
 * unavailable index or object store as 503, anything else as 500 (logged, path redacted). No
 * exception's text reaches the client: it may name hosts, paths or SQL.
 */
final class Failures {
  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  static void answer(RoutingContext ctx) {
    Throwable e = ctx.failure();
    if (e instanceof ProblemException p) {
      p.problem().send(ctx);
      return;
    }
    if (e instanceof SqlUnavailableException sql && sql.timedOut()) {
      LOG.warn("event=http.query_timeout path={} reason=\"{}\"", LogPaths.redact(ctx.request().path()), e.getMessage());
      Problem.of(503, "query-timeout", "Query took too long", "the query ran past storage.db.queryTimeout and was "
          + "stopped; narrow it (a patient, a date range) or retry later").send(ctx);
      return;
    }
    if (e instanceof SqlUnavailableException) {
      LOG.warn("event=http.unavailable dependency=index path={} reason=\"{}\"", LogPaths.redact(ctx.request().path()), e.getMessage());
      Problem.of(503, "index-unavailable", "Index unavailable", "the index did not answer; retry later").send(ctx);
      return;
    }
    if (e instanceof ObjectStore.StorageUnavailableException) {
      LOG.warn("event=http.unavailable dependency=objectStore path={} reason=\"{}\"", LogPaths.redact(ctx.request().path()),
          e.getMessage());
      Problem.of(503, "storage-unavailable", "Object storage unavailable", "object storage did not answer; retry later")
          .send(ctx);
      return;
    }
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    if (status >= 500) {
      LOG.error("event=http.error path={}", LogPaths.redact(ctx.request().path()), e);
      // What broke inside stays in the log: an exception's text can name hosts, paths or SQL.
      Problem.of(status, "internal", "Internal error", "logged on the server as event=http.error").send(ctx);
    } else {
      Problem.of(status, "bad-request", "Bad request", null).send(ctx);
    }
  }
}
