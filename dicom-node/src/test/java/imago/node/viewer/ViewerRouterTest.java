package imago.node.viewer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.web.PublicUrl;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The viewer router over real HTTP, on a miniature dist laid out like OHIF's (built for the site
 * root, fingerprinted bundles, an app-config.js of OHIF's own that must never be served).
 */
class ViewerRouterTest {
  private static final String APP_BUNDLE = "app.bundle.0f6159c501addfe9.js";
  private static final String CHUNK = "89.bundle.b327bf3664812958.js";
  private static final String WASM = "0ddf166f7a343eda.wasm";
  private static final String IMMUTABLE = "public, max-age=31536000, immutable";
  private static final String INDEX = "<!doctype html><html><head><script>window.PUBLIC_URL=\"/\"</script>"
      + "<link rel=\"manifest\" href=\"/manifest.json\"><meta name=\"msapplication-TileImage\" content=\"/assets/tile.png\">"
      + "<script src=\"/app-config.js\"></script><script defer src=\"/" + APP_BUNDLE + "\"></script>"
      + "<link href=\"/app.bundle.css\" rel=\"stylesheet\"><a href=\"https://ohif.org/\">x</a></head><body></body></html>";

  @TempDir static Path tmp;
  static Vertx vertx;
  static HttpServer server;
  static String base;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Path dist = Files.createDirectories(tmp.resolve("dist"));
    Files.writeString(dist.resolve("index.html"), INDEX);
    Files.writeString(dist.resolve(APP_BUNDLE), "(() => {\n__webpack_require__.p = \"/\";\n})();\n");
    Files.writeString(dist.resolve(CHUNK), "console.log('chunk');\n");
    Files.writeString(dist.resolve("app.bundle.css"), "@font-face{src:url(/a34f9d1faa5f3315.woff2)}");
    Files.writeString(dist.resolve("1602.css"), ".a{color:red}");
    Files.writeString(dist.resolve("manifest.json"), "{\"icons\": [{\"src\": \"/assets/a.png\"}]}");
    Files.writeString(dist.resolve("app-config.js"), "window.config = {qidoRoot: 'https://d14fa38qiwhyfd.cloudfront.net'};");
    Files.write(dist.resolve(WASM), new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    Files.writeString(tmp.resolve("secret.txt"), "outside the dist");
    vertx = Vertx.vertx();
    Router root = Router.router(vertx);
    root.route("/viewer/*").subRouter(new ViewerRouter(vertx, dist, new PublicUrl(null), List.of()).router());
    root.route("/pacs/viewer/*").subRouter(new ViewerRouter(vertx, dist, new PublicUrl("https://imago.example.org/pacs/"), List.of()).router());
    root.route("/empty/viewer/*").subRouter(new ViewerRouter(vertx, tmp.resolve("no-dist"), new PublicUrl("http://h/empty"), List.of()).router());
    root.route().last().handler(ctx -> ctx.response().setStatusCode(404).end("root 404"));
    // compression on, as in WebServer: a pre-gzipped answer must not be gzipped twice
    server = vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(true)).requestHandler(root)
        .listen(0, "127.0.0.1").await();
    base = "http://127.0.0.1:" + server.actualPort();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void indexAndOhifPageAddressesAnswerIndexHtmlRewrittenForViewerAndRevalidated() throws Exception {
    HttpResponse<String> index = served("/viewer/", "text/html; charset=utf-8", "no-cache");
    String html = index.body();
    assertTrue(html.contains("window.PUBLIC_URL=\"/viewer/\""), html);
    assertTrue(html.contains("src=\"/viewer/" + APP_BUNDLE + "\""), html);
    assertTrue(html.contains("src=\"/viewer/app-config.js\""), html);
    assertTrue(html.contains("href=\"/viewer/manifest.json\"") && html.contains("content=\"/viewer/assets/tile.png\""), html);
    assertTrue(html.contains("href=\"https://ohif.org/\""), "absolute URLs stay: " + html);

    HttpResponse<String> page = get("/viewer/viewer?StudyInstanceUIDs=1.2.3", Map.of("Accept", "text/html"));
    assertEquals(200, page.statusCode());
    assertEquals(html, page.body());
    assertEquals(html, get("/viewer/viewer/dicomweb", Map.of()).body(), "a path without an extension is a page");
    assertEquals(304, get("/viewer/viewer", Map.of("If-None-Match", header(index, "etag"))).statusCode());
  }

  /** Security: the pages hold a bearer token, so no other site may frame them and no URL of theirs leaves in a Referer. */
  @Test
  void everyViewerPageCarriesItsBrowserPolicies() throws Exception {
    for (String path : List.of("/viewer/", "/viewer/login", "/viewer/app-config.js")) {
      HttpResponse<String> r = get(path, Map.of());
      String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
      assertTrue(csp.contains("frame-ancestors 'self'") && csp.contains("object-src 'none'"), path + ": " + csp);
      assertEquals("no-referrer", r.headers().firstValue("Referrer-Policy").orElse(""), path);
    }
  }

  @Test
  void webpackPublicPathStylesheetAndManifestUrlsPointUnderViewer() throws Exception {
    HttpResponse<String> bundle = served("/viewer/" + APP_BUNDLE, "text/javascript; charset=utf-8", IMMUTABLE);
    assertTrue(bundle.body().contains("__webpack_require__.p = \"/viewer/\";"), bundle.body());

    // app.bundle.css has no hash in its name
    HttpResponse<String> css = served("/viewer/app.bundle.css", "text/css; charset=utf-8", "no-cache");
    assertEquals("@font-face{src:url(/viewer/a34f9d1faa5f3315.woff2)}", css.body());

    assertEquals("{\"icons\": [{\"src\": \"/viewer/assets/a.png\"}]}", get("/viewer/manifest.json", Map.of()).body());
  }

  @Test
  void rewrittenFilesGoGzippedOnceWhenTheBrowserAcceptsIt() throws Exception {
    HttpResponse<byte[]> gz = http.send(HttpRequest.newBuilder(URI.create(base + "/viewer/" + APP_BUNDLE))
        .header("Accept-Encoding", "gzip, deflate, br").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, gz.statusCode());
    assertEquals("gzip", header(gz, "content-encoding"));
    assertEquals("Accept-Encoding", header(gz, "vary"));
    try (var in = new GZIPInputStream(new ByteArrayInputStream(gz.body()))) {
      assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("__webpack_require__.p = \"/viewer/\";"));
    }
    HttpResponse<String> plain = get("/viewer/" + APP_BUNDLE, Map.of());
    assertNotEquals(header(plain, "etag"), header(gz, "etag"), "each encoding has its own ETag");
    assertEquals(304, get("/viewer/" + APP_BUNDLE, Map.of("Accept-Encoding", "gzip", "If-None-Match", header(gz, "etag")))
        .statusCode());
  }

  @Test
  void fingerprintedFilesAreCachedForGoodAndTheRestRevalidate() throws Exception {
    served("/viewer/" + WASM, "application/wasm", IMMUTABLE);
    HttpResponse<String> chunk = served("/viewer/" + CHUNK, "text/javascript;charset=UTF-8", IMMUTABLE);
    assertEquals("console.log('chunk');\n", chunk.body(), "a file without root URLs is sent as is");

    HttpResponse<String> css = served("/viewer/1602.css", "text/css;charset=UTF-8", "no-cache");
    String lastModified = header(css, "last-modified");
    assertEquals(304, get("/viewer/1602.css", Map.of("If-Modified-Since", lastModified)).statusCode());
  }

  @Test
  void appConfigIsImagosOwnAndPointsOhifAtThisImagosDicomweb() throws Exception {
    String js = served("/viewer/app-config.js", "text/javascript; charset=utf-8", "no-store").body();
    assertFalse(js.contains("cloudfront"), "OHIF's own app-config.js must never be served");
    assertTrue(js.contains("var base = \"\";"), js);
    // DICOMweb at <base>/dicomweb, or through an FSE link's /l/{token}/dicomweb when opened from one, or a
    // research project's de-identified view when opened with #research=<project>
    assertTrue(js.contains("var dicomweb = link ? base + '/l/' + link + '/dicomweb' : research ? base + '/research/' + research"
        + " + '/dicomweb'\n    : base + '/dicomweb';"), js);
    assertTrue(js.contains("qidoRoot: origin + dicomweb") && js.contains("wadoUriRoot: origin + base + '/wado'"), js);
    assertTrue(js.contains("routerBasename: viewer"), js);

    String prefixed = get("/pacs/viewer/app-config.js", Map.of()).body();
    assertTrue(prefixed.contains("var base = \"/pacs\";"), prefixed);
    assertTrue(get("/pacs/viewer/", Map.of()).body().contains("window.PUBLIC_URL=\"/pacs/viewer/\""));
  }

  @Test
  void loginPageIsServedWithoutCachingAndKnowsWhereTheViewerIs() throws Exception {
    HttpResponse<String> login = served("/viewer/login", "text/html; charset=utf-8", "no-store");
    assertTrue(login.body().contains("var VIEWER = \"/viewer\";"), login.body());
    assertTrue(get("/pacs/viewer/login", Map.of()).body().contains("var VIEWER = \"/pacs/viewer\";"));
  }

  @Test
  void missingFilesAre404AndNothingOutsideTheDistIsServed() throws Exception {
    HttpResponse<String> js = get("/viewer/9999.bundle.0000000000000000.js", Map.of());
    assertEquals(404, js.statusCode());
    assertEquals("application/problem+json", header(js, "content-type"));
    assertNotEquals(IMMUTABLE, header(js, "cache-control"), "a 404 must not be cached for good");
    assertEquals(404, get("/viewer/assets/nope.png", Map.of()).statusCode());
    HttpResponse<String> escape = get("/viewer/%2e%2e/secret.txt", Map.of());
    assertFalse(escape.body().contains("outside the dist"), escape.body());
  }

  @Test
  void withoutTheDistTheViewerAnswers503ProblemButLoginStillWorks() throws Exception {
    HttpResponse<String> r = get("/empty/viewer/", Map.of());
    assertEquals(503, r.statusCode());
    assertEquals("application/problem+json", header(r, "content-type"));
    assertTrue(r.body().contains("scripts/setup.sh"), r.body());
    assertEquals(503, get("/empty/viewer/viewer?StudyInstanceUIDs=1.2.3", Map.of()).statusCode());
    assertEquals(200, get("/empty/viewer/login", Map.of()).statusCode());
  }

  @Test
  void rewriteLeavesProtocolRelativeAndAbsoluteUrlsAlone() {
    String html = "<script src=\"//cdn.example/x.js\"></script><img src=\"/a.png\">";
    assertEquals("<script src=\"//cdn.example/x.js\"></script><img src=\"/v/a.png\">", OhifDist.rewrite("index.html", html, "/v/"));
    assertEquals("a{b:url('/v/f.woff2')} c{d:url(//x/y)}", OhifDist.rewrite("x.css", "a{b:url('/f.woff2')} c{d:url(//x/y)}", "/v/"));
    assertTrue(OhifDist.fingerprinted("app.bundle.0f6159c501addfe9.js"));
    assertTrue(OhifDist.fingerprinted("a34f9d1faa5f3315.woff2"));
    assertFalse(OhifDist.fingerprinted("1602.css"));
    assertFalse(OhifDist.fingerprinted("assets/images/CT-Bone.png"));
  }

  /** GET {@code path}: 200 with this Content-Type and Cache-Control. */
  private static HttpResponse<String> served(String path, String type, String cacheControl) throws Exception {
    HttpResponse<String> r = get(path, Map.of());
    assertEquals(200, r.statusCode(), path);
    assertEquals(type, header(r, "content-type"), path);
    assertEquals(cacheControl, header(r, "cache-control"), path);
    return r;
  }

  private static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(base + path)).GET();
    headers.forEach(rq::header);
    return http.send(rq.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }
}
