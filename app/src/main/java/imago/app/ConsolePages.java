package imago.app;

import imago.core.io.SetupCache;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The console's pages at {@code /console/} ({@code /} redirects there): one HTML page, its script
 * and style from the app's resources, and uPlot, the one charting library, from npm (uplot, unpacked
 * by scripts/setup.sh --viewer into {@code .cache/uplot/<version>/dist}). The page signs in with a
 * bearer token kept in the browser tab and reads everything from the REST API.
 */
final class ConsolePages {
  static final String UPLOT_VERSION = "1.6.32";
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
  private static final Map<String, String> FILES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8",
      "console.css", "text/css; charset=utf-8");

  private ConsolePages() {}

  static Path defaultUplot() {
    return SetupCache.find("uplot", UPLOT_VERSION, "dist");
  }

  /** Mounted at {@code /console}. */
  static Router router(Vertx vertx, Path uplotDist) {
    Map<String, Buffer> files = new java.util.HashMap<>();
    FILES.keySet().forEach(name -> files.put(name, Buffer.buffer(resource(name))));
    Router r = Router.router(vertx);
    r.route().handler(ctx -> {
      // the page holds a bearer token: no other site frames it, no URL of its leaks in a Referer
      ctx.response().putHeader("Content-Security-Policy", CSP).putHeader("Referrer-Policy", "no-referrer")
          .putHeader("X-Content-Type-Options", "nosniff");
      ctx.next();
    });
    r.get("/").handler(ctx -> send(ctx, files, "index.html"));
    for (String name : FILES.keySet()) r.get("/" + name).handler(ctx -> send(ctx, files, name));
    r.get("/uplot/*").handler(StaticHandler.create(FileSystemAccess.ROOT, uplotDist.toString()).setCachingEnabled(true));
    return r;
  }

  private static void send(RoutingContext ctx, Map<String, Buffer> files, String name) {
    ctx.response().putHeader("Content-Type", FILES.get(name)).putHeader("Cache-Control", "no-cache").end(files.get(name));
  }

  private static String resource(String name) {
    try (InputStream in = ConsolePages.class.getResourceAsStream("/imago/console/" + name)) {
      if (in == null) throw new IllegalStateException("console resource " + name + " missing from the build");
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
