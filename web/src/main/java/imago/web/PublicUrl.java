package imago.web;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * The address Imago is reached at, for every URL it writes (RetrieveURLs, BulkDataURIs, FSE links,
 * the viewer's configuration), by one rule: node.publicUrl when configured (Imago behind a reverse
 * proxy, the way it is deployed), else the local address the connection arrived at. The client's
 * {@code Host} header is never used: it is the client's to choose, and a URL Imago hands out
 * (an FSE link above all) must not point wherever a request said. Work that has no request (the
 * FSE notifier) uses the local listener.
 */
public final class PublicUrl {
  private final String configured;

  /** @param configured node.publicUrl, may be null or blank */
  public PublicUrl(String configured) {
    this.configured = configured == null || configured.isBlank() ? null : configured.trim().replaceAll("/+$", "");
  }

  /** {@code https://imago.example.org} or {@code http://192.0.2.7:8080}: no trailing slash. */
  public String of(HttpServerRequest request) {
    if (configured != null) return configured;
    SocketAddress local = request.localAddress();
    String host = local.hostAddress() == null ? "localhost" : local.hostAddress();
    if (host.indexOf(':') >= 0) host = "[" + host + "]"; // an IPv6 literal
    return request.scheme() + "://" + host + ":" + local.port();
  }

  /** Whether node.publicUrl is set. */
  public boolean configured() {
    return configured != null;
  }

  /** Without a request: the configured address, else the local HTTP listener. */
  public String orLocal(int httpPort) {
    return configured != null ? configured : "http://localhost:" + httpPort;
  }

  /** The configured address's host name, which a generated server certificate must name. */
  public java.util.Optional<String> host() {
    if (configured == null) return java.util.Optional.empty();
    String host = java.net.URI.create(configured).getHost();
    // an IPv6 literal comes bracketed ([fd00::1]); a certificate names the address itself
    return java.util.Optional.ofNullable(host == null ? null : host.replaceAll("^\\[|\\]$", ""));
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
