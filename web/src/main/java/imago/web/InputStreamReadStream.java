package imago.web;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A blocking {@link InputStream} (an S3 object, a model artifact) as a Vert.x {@link ReadStream}: the next chunk is
 * read on a worker thread only while the consumer has demand, so piping it into a slow HTTP
 * response slows the S3 read instead of filling memory. Every callback runs on the context that
 * created it (the request's event loop).
 */
public final class InputStreamReadStream implements ReadStream<Buffer> {
  private static final int CHUNK = 64 * 1024;

  private final Context context;
  private final WorkerExecutor workers;
  private final InputStream in;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private long demand = Long.MAX_VALUE;
  private boolean reading;
  private boolean ended;

  public InputStreamReadStream(Context context, WorkerExecutor workers, InputStream in) {
    this.context = context;
    this.workers = workers;
    this.in = in;
  }

  @Override
  public InputStreamReadStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public InputStreamReadStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    if (handler != null) readMore();
    return this;
  }

  @Override
  public InputStreamReadStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public InputStreamReadStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public InputStreamReadStream fetch(long amount) {
    demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    readMore();
    return this;
  }

  @Override
  public InputStreamReadStream endHandler(Handler<Void> handler) {
    this.endHandler = handler;
    return this;
  }

  /** Stops reading and releases the stream (an S3 connection: the client went away). */
  public void close() {
    if (ended) return;
    ended = true;
    if (!reading) closeQuietly();
  }

  private void readMore() {
    if (reading || ended || demand == 0 || handler == null) return;
    reading = true;
    Blocking.<Buffer>run(workers, () -> {
      byte[] chunk = new byte[CHUNK];
      int n = in.readNBytes(chunk, 0, CHUNK);
      return n <= 0 ? null : Buffer.buffer(n == CHUNK ? chunk : java.util.Arrays.copyOf(chunk, n));
      // unordered: one read per stream is in flight at a time anyway, and ordered tasks would queue
      // every response of this event loop behind one another
    }).onComplete(ar -> context.runOnContext(v -> {
      reading = false;
      if (ended) {
        closeQuietly();
      } else if (ar.failed()) {
        ended = true;
        closeQuietly();
        if (exceptionHandler != null) exceptionHandler.handle(ar.cause());
      } else if (ar.result() == null) {
        ended = true;
        closeQuietly();
        if (endHandler != null) endHandler.handle(null);
      } else {
        if (demand != Long.MAX_VALUE) demand--;
        handler.handle(ar.result());
        readMore();
      }
    }));
  }

  private void closeQuietly() {
    Blocking.run(workers, () -> {
      try {
        in.close();
      } catch (IOException ignored) {
        // the connection is dropped either way
      }
      return null;
    });
  }
}
