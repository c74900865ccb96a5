package imago.node.viewer;

import imago.web.Blocking;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * OHIF's prebuilt {@code dist/}, which npm ships built for the site root: its webpack public path
 * is the literal {@code "/"} and index.html, the stylesheets and the web manifest name {@code /...}
 * URLs. Served under a sub-path, the few top-level files that say so are rewritten on first use
 * and kept in memory (~18 MB, nearly all app.bundle); every other file is sent from disk as is.
 */
final class OhifDist {
  /** Content hashes in OHIF's file names ({@code 89.bundle.b327bf3664812958.js}, {@code 0ddf166f7a343eda.wasm}). */
  private static final Pattern FINGERPRINTED = Pattern.compile("(?:^|.*[./])[0-9a-f]{16,}\\.[a-z0-9]+$");
  private static final Pattern HTML_ROOT_URL = Pattern.compile("((?:href|src|content)=\")/(?!/)");
  private static final Pattern CSS_ROOT_URL = Pattern.compile("(url\\([\"']?)/(?!/)");
  private static final Pattern MANIFEST_ROOT_URL = Pattern.compile("(\"src\"\\s*:\\s*\")/(?!/)");
  private static final String WEBPACK_PUBLIC_PATH = "__webpack_require__.p = \"/\";";

  /**
   * A rewritten file: its bytes, the same gzipped once here (app.bundle is 17 MB; gzipping it per
   * request costs ~0.5 s of CPU) and a strong ETag.
   */
  record Asset(Buffer body, Buffer gzipped, String etag) {
    /** Each encoding is its own representation, with its own strong ETag (RFC 9110 §8.8.3). */
    String gzippedEtag() {
      return etag.substring(0, etag.length() - 1) + "-gz\"";
    }
  }

  private final Vertx vertx;
  private final Path dir;
  private final String publicPath;
  private final ConcurrentMap<String, Future<Optional<Asset>>> rewritten = new ConcurrentHashMap<>();

  /** {@code publicPath}: where the browser finds the dist, with both slashes ({@code /viewer/}). */
  OhifDist(Vertx vertx, Path dir, String publicPath) {
    this.vertx = vertx;
    this.dir = dir.toAbsolutePath().normalize();
    this.publicPath = publicPath;
  }

  Path dir() {
    return dir;
  }

  Future<Boolean> present() {
    return vertx.fileSystem().exists(dir.resolve("index.html").toString());
  }

  /**
   * The file {@code name} (relative to the dist) as the browser must see it under the public path,
   * or empty when it is served from disk unchanged (also when there is no such file).
   */
  Future<Optional<Asset>> rewritten(String name) {
    if (!mayNameTheRoot(name)) return Future.succeededFuture(Optional.empty());
    Future<Optional<Asset>> f = rewritten.computeIfAbsent(name, this::load);
    // only existing files stay in the map, so requests for made-up names cannot grow it
    f.onComplete(r -> {
      if (r.failed() || r.result() == null) rewritten.remove(name, f);
    });
    return f.map(o -> o == null ? Optional.<Asset>empty() : o);
  }

  /** Fingerprinted files never change under their name: they may be cached for good. */
  static boolean fingerprinted(String path) {
    return FINGERPRINTED.matcher(path).matches();
  }

  /** Only top-level text files name the root; the rest of the dist uses relative URLs. */
  private static boolean mayNameTheRoot(String name) {
    return name.indexOf('/') < 0 && (name.endsWith(".js") || name.endsWith(".css") || name.equals("index.html")
        || name.equals("manifest.json"));
  }

  /** Null (not cached) when there is no such file. */
  private Future<Optional<Asset>> load(String name) {
    Path file = dir.resolve(name);
    return Blocking.run(vertx, () -> {
      if (!Files.isRegularFile(file)) return null;
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (CharacterCodingException e) {
        return Optional.empty(); // not text after all: nothing to rewrite
      }
      String out = rewrite(name, text, publicPath);
      if (out.equals(text)) return Optional.empty();
      byte[] bytes = out.getBytes(StandardCharsets.UTF_8);
      return Optional.of(new Asset(Buffer.buffer(bytes), Buffer.buffer(gzip(bytes)), etag(bytes)));
    });
  }

  /** {@code text} of dist file {@code name} with its site-root URLs moved under {@code publicPath}. */
  static String rewrite(String name, String text, String publicPath) {
    String root = Matcher.quoteReplacement(publicPath);
    if (name.equals("index.html")) {
      String html = text.replace("window.PUBLIC_URL=\"/\"", "window.PUBLIC_URL=\"" + publicPath + "\"");
      return HTML_ROOT_URL.matcher(html).replaceAll("$1" + root);
    }
    if (name.endsWith(".css")) return CSS_ROOT_URL.matcher(text).replaceAll("$1" + root);
    if (name.equals("manifest.json")) return MANIFEST_ROOT_URL.matcher(text).replaceAll("$1" + root);
    // webpack's runtime loads chunks, workers, wasm and fonts from this prefix
    return text.replace(WEBPACK_PUBLIC_PATH, "__webpack_require__.p = \"" + publicPath + "\";");
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
