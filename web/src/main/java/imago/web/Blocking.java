package imago.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Blocking work (SQL, object storage, file reads) off the event loop, the one way routes do it.
 * Tasks are unordered: requests of one event loop do not queue behind one another.
 */
public final class Blocking {
  private Blocking() {}

  /**
   * Runs {@code work} on a worker thread, then {@code then} with its result on the request's event
   * loop. A failure of either fails the request: {@link WebServer} (or the family's
   * {@link Routes#problem} mapping) turns it into problem+json.
   */
  public static <T> void respond(RoutingContext ctx, Callable<T> work, Consumer<? super T> then) {
    answer(ctx, run(ctx.vertx(), work), then);
  }

  /** The same on a pool of its own. */
  public static <T> void respond(RoutingContext ctx, WorkerExecutor workers, Callable<T> work, Consumer<? super T> then) {
    answer(ctx, run(workers, work), then);
  }

  private static <T> void answer(RoutingContext ctx, Future<T> result, Consumer<? super T> then) {
    result.onComplete(done -> {
      if (done.failed()) {
        ctx.fail(done.cause());
        return;
      }
      try {
        then.accept(done.result());
      } catch (RuntimeException e) {
        ctx.fail(e);
      }
    });
  }

  public static <T> Future<T> run(Vertx vertx, Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }

  /** On a pool of its own (WADO-RS reads: object-store latency must not starve the shared workers). */
  public static <T> Future<T> run(WorkerExecutor workers, Callable<T> work) {
    return workers.executeBlocking(work, false);
  }
}
