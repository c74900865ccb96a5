package imago.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A blocking OutputStream over a chunked HTTP response, for a download written on a worker
 * thread: each write waits until Vert.x has taken it, so a slow client holds back the writer
 * rather than filling memory. Wrap it in a BufferedOutputStream.
 */
public final class ResponseStream extends OutputStream {
  private final HttpServerResponse response;

  public ResponseStream(HttpServerResponse response) {
    this.response = response;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len == 0) return;
    try {
      response.write(Buffer.buffer(Arrays.copyOfRange(b, off, off + len)))
          .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("the client went away: " + e.getMessage(), e);
    }
  }
}
