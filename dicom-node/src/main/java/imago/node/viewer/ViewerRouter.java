package imago.node.viewer;

import imago.core.io.SetupCache;
import imago.web.Problem;
import imago.web.PublicUrl;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.MimeMapping;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OHIF viewer at {@code /viewer/}: OHIF's prebuilt dist (fetched by scripts/setup.sh), Imago's
 * own {@code app-config.js} pointing OHIF at this Imago's {@code /dicomweb} and {@code /wado}, and
 * {@code /viewer/login}, which keeps the user's bearer token in the browser for OHIF to send.
 * OHIF is a single-page app: a page address it owns ({@code /viewer/viewer?StudyInstanceUIDs=...})
 * answers index.html, and OHIF's router takes it from there.
 */
public final class ViewerRouter {
  /** The {@code @ohif/app} version scripts/setup.sh fetches. */
  public static final String OHIF_VERSION = "3.13.2";
  private static final Logger LOG = LoggerFactory.getLogger(ViewerRouter.class);
  private static final String IMMUTABLE = "public, max-age=31536000, immutable";
  private static final String NO_CACHE = "no-cache";
  private static final String NO_STORE = "no-store";

  private final Vertx vertx;
  private final OhifDist dist;
  private final Buffer appConfig;
  private final Buffer loginPage;
  private final String contentSecurityPolicy;
  private final AtomicBoolean missingLogged = new AtomicBoolean();
  private volatile boolean present;

  /**
   * @param distDir OHIF's {@code dist/} ({@link #defaultDist()}); may be missing, then the viewer answers 503
   * @param address Imago's public address: only its path is used (a reverse proxy's prefix), since the
   *     viewer always talks to the origin that served it
   * @param frameAncestors origins that may frame the viewer (viewer.frameAncestors), besides Imago itself
   */
  public ViewerRouter(Vertx vertx, Path distDir, PublicUrl address, List<String> frameAncestors) {
    String base = address.path();
    // OHIF compiles its codecs to WebAssembly and runs them in blob: workers; everything else is this origin's own.
    this.contentSecurityPolicy = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval' blob:; "
        + "worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors "
        + String.join(" ", java.util.stream.Stream.concat(java.util.stream.Stream.of("'self'"), frameAncestors.stream()).toList());
    this.vertx = vertx;
    this.dist = new OhifDist(vertx, distDir, base + "/viewer/");
    this.appConfig = Buffer.buffer(resource("app-config.js").replace("@BASE_JSON@", Json.encode(base))
        .replace("@BASE@", base));
    this.loginPage = Buffer.buffer(resource("login.html").replace("@VIEWER_JSON@", Json.encode(base + "/viewer")));
  }

  /** Where scripts/setup.sh unpacks OHIF: {@code .cache/ohif/<version>/dist} in the repository. */
  public static Path defaultDist() {
    return SetupCache.find("ohif", OHIF_VERSION, "dist");
  }

  /** Web pages, mounted at {@code /viewer} ({@code WebServer.Mount.pages}). */
  public Router router() {
    Router r = Router.router(vertx);
    r.route().handler(ctx -> {
      // The pages hold a bearer token: no other site frames them, no URL of theirs leaks in a Referer.
      ctx.response().putHeader("Content-Security-Policy", contentSecurityPolicy).putHeader("Referrer-Policy", "no-referrer")
          .putHeader("X-Content-Type-Options", "nosniff");
      ctx.next();
    });
    read(r, "/login").handler(ctx -> send(ctx, "text/html; charset=utf-8", loginPage, NO_STORE, null));
    r.route().handler(this::requireDist);
    read(r, "/app-config.js").handler(ctx -> send(ctx, "text/javascript; charset=utf-8", appConfig, NO_STORE, null));
    read(r, "/").handler(ctx -> rewritten(ctx, "index.html"));
    read(r, "/*").handler(ctx -> rewritten(ctx, relativePath(ctx)));
    read(r, "/*").handler(ctx -> {
      // StaticHandler adds Last-Modified and answers If-Modified-Since, but keeps a Cache-Control set before it
      ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, OhifDist.fingerprinted(relativePath(ctx)) ? IMMUTABLE : NO_CACHE);
      ctx.next();
    });
    read(r, "/*").handler(StaticHandler.create(FileSystemAccess.ROOT, dist.dir().toString())
        .setDefaultContentEncoding("UTF-8")
        .skipCompressionForSuffixes(Set.of("png", "jpg", "ico", "woff2")));
    read(r, "/*").handler(this::pageOrNotFound);
    return r;
  }

  private static Route read(Router r, String path) {
    return r.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  private void requireDist(RoutingContext ctx) {
    if (present) {
      ctx.next();
      return;
    }
    dist.present().onSuccess(yes -> {
      if (yes) {
        present = true;
        ctx.next();
        return;
      }
      if (missingLogged.compareAndSet(false, true)) LOG.warn("event=viewer.missing dist={}", dist.dir());
      Problem.of(503, "viewer-not-installed", "Viewer not installed", "the OHIF viewer (@ohif/app " + OHIF_VERSION
          + " dist/) is not installed on this Imago: run scripts/setup.sh --viewer").send(ctx);
    }).onFailure(ctx::fail);
  }

  /** A dist file that names the site root, as rewritten for /viewer/; anything else goes on to the files. */
  private void rewritten(RoutingContext ctx, String name) {
    dist.rewritten(name).onSuccess(asset -> {
      if (asset.isEmpty()) {
        ctx.next();
        return;
      }
      String type = MimeMapping.mimeTypeForFilename(name);
      type = type == null ? "application/octet-stream" : type + "; charset=utf-8"; // only text files are rewritten
      String encoding = ctx.request().getHeader(HttpHeaders.ACCEPT_ENCODING);
      boolean gzip = encoding != null && encoding.contains("gzip");
      // a response that already has a Content-Encoding is not compressed again by the server
      ctx.response().putHeader(HttpHeaders.VARY, "Accept-Encoding")
          .putHeader(HttpHeaders.CONTENT_ENCODING, gzip ? "gzip" : "identity");
      send(ctx, type, gzip ? asset.get().gzipped() : asset.get().body(), OhifDist.fingerprinted(name) ? IMMUTABLE : NO_CACHE,
          gzip ? asset.get().gzippedEtag() : asset.get().etag());
    }).onFailure(ctx::fail);
  }

  /** OHIF's own page addresses (no file extension, or a browser navigating) get index.html; missing files 404. */
  private void pageOrNotFound(RoutingContext ctx) {
    String path = relativePath(ctx);
    String last = path.substring(path.lastIndexOf('/') + 1);
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    if (!last.contains(".") || (accept != null && accept.contains("text/html"))) {
      rewritten(ctx, "index.html");
      return;
    }
    ctx.response().headers().remove(HttpHeaders.CACHE_CONTROL);
    Problem.of(404, "not-found", "No such viewer file", ctx.normalizedPath()).send(ctx);
  }

  private static void send(RoutingContext ctx, String type, Buffer body, String cacheControl, String etag) {
    HttpServerResponse response = ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, type)
        .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl)
        .putHeader("X-Content-Type-Options", "nosniff");
    if (etag != null) {
      response.putHeader(HttpHeaders.ETAG, etag);
      String ifNoneMatch = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
      if (ifNoneMatch != null && (ifNoneMatch.contains(etag) || ifNoneMatch.trim().equals("*"))) {
        response.setStatusCode(304).end();
        return;
      }
    }
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length())).end();
    } else {
      response.end(body);
    }
  }

  /** The request path below the mount point, without a leading slash ("" for the viewer's root). */
  private static String relativePath(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    String mount = ctx.mountPoint();
    String rest = mount != null && path.startsWith(mount) ? path.substring(mount.length()) : path;
    return rest.startsWith("/") ? rest.substring(1) : rest;
  }

  private static String resource(String name) {
    try (InputStream in = ViewerRouter.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource imago/node/viewer/" + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
