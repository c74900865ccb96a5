package imago.app;

import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** {@code /openapi.json}: the OpenAPI 3.1 description of Imago's HTTP API, served as written. */
final class OpenApi {
  private OpenApi() {}

  static Routes routes(Vertx vertx) {
    Buffer doc;
    try (InputStream in = OpenApi.class.getResourceAsStream("/imago/app/openapi.json")) {
      doc = Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Routes r = new Routes(vertx);
    r.get("").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(doc));
    return r;
  }
}
