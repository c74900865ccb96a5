package imago.app;

import imago.core.io.SetupCache;
import imago.web.Problem;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code /api-docs/}: the OpenAPI document ({@code /openapi.json}) as a page to browse and try,
 * with Swagger UI's prebuilt dist from npm (swagger-ui-dist, unpacked by scripts/setup.sh --viewer
 * into {@code .cache/swagger-ui/<version>/dist}). Only its initializer is Imago's: it loads the
 * document by a relative address, so the page works behind a reverse proxy's prefix too.
 */
final class ApiDocs {
  static final String SWAGGER_UI_VERSION = "5.36.0";

  private static final Buffer INITIALIZER = Buffer.buffer("""
      window.onload = function () {
        window.ui = SwaggerUIBundle({
          url: new URL('../openapi.json', window.location.href).href,
          dom_id: '#swagger-ui',
          deepLinking: true,
          presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
          layout: 'StandaloneLayout'
        });
      };
      """);

  private ApiDocs() {}

  static Path defaultDist() {
    return SetupCache.find("swagger-ui", SWAGGER_UI_VERSION, "dist");
  }

  /** Mounted at {@code /api-docs}. */
  static Router router(Vertx vertx, Path dist) {
    Router r = Router.router(vertx);
    r.route().handler(ctx -> {
      if (Files.isRegularFile(dist.resolve("swagger-ui-bundle.js"))) {
        ctx.next();
      } else {
        Problem.of(503, "api-docs-missing", "API documentation page not installed",
            "run scripts/setup.sh --viewer (it fetches swagger-ui-dist " + SWAGGER_UI_VERSION + "); /openapi.json works without it")
            .send(ctx);
      }
    });
    r.get("/swagger-initializer.js").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/javascript; charset=utf-8").putHeader("Cache-Control", "no-cache").end(INITIALIZER));
    r.route("/*").handler(StaticHandler.create(FileSystemAccess.ROOT, dist.toString()).setIndexPage("index.html"));
    return r;
  }
}
