package imago.web;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * The address Imago is reached at, for every URL it writes (RetrieveURLs, BulkDataURIs, FSE links,
 * the viewer's configuration), by one rule: node.publicUrl when configured (Imago behind a reverse
 * proxy), else the address the request came to (its Host, or HTTP/2 :authority). Work that has no
 * request (the FSE notifier) uses the local listener.
 */
public final class PublicUrl {
  private final String configured;

  /** @param configured node.publicUrl, may be null or blank */
  public PublicUrl(String configured) {
    this.configured = configured == null || configured.isBlank() ? null : configured.trim().replaceAll("/+$", "");
  }

  /** {@code https://imago.example.org} or {@code http://host:8080}: no trailing slash. */
  public String of(HttpServerRequest request) {
    if (configured != null) return configured;
    HostAndPort authority = request.authority();
    String host = authority == null ? "localhost:" + request.localAddress().port()
        : authority.host() + (authority.port() > 0 ? ":" + authority.port() : "");
    return request.scheme() + "://" + host;
  }

  /** Without a request: the configured address, else the local HTTP listener. */
  public String orLocal(int httpPort) {
    return configured != null ? configured : "http://localhost:" + httpPort;
  }

  /** The configured address's path ("" at a host's root, "/pacs" behind a proxy's prefix). */
  public String path() {
    if (configured == null) return "";
    String path = java.net.URI.create(configured).getRawPath();
    if (path == null || path.isEmpty() || path.equals("/")) return "";
    if (!path.matches("(/[A-Za-z0-9._~-]+)+")) {
      throw new IllegalArgumentException("node.publicUrl path must be plain segments ([A-Za-z0-9._~-]): " + configured);
    }
    return path;
  }
}
