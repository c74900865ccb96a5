package imago.links;

import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;

/** The address links are built on: node.publicUrl, or else the address the request came to. */
final class PublicBase {
  private PublicBase() {}

  static String of(RoutingContext ctx, String publicUrl) {
    if (publicUrl != null && !publicUrl.isBlank()) return publicUrl.replaceAll("/+$", "");
    HostAndPort authority = ctx.request().authority();
    String host = authority == null ? "localhost:" + ctx.request().localAddress().port()
        : authority.host() + (authority.port() > 0 ? ":" + authority.port() : "");
    return ctx.request().scheme() + "://" + host;
  }
}
