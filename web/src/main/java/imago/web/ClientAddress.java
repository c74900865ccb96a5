package imago.web;

import imago.core.net.AddressBlock;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Who is on the other end of a request, for the audit: the connection's peer, unless that peer is
 * one of the configured reverse proxies (node.trustedProxies: addresses or CIDR blocks), in which
 * case the right-most address of {@code X-Forwarded-For} that is not itself a trusted proxy. A
 * client can put anything in that header, so it is read only when a trusted proxy set it.
 */
public final class ClientAddress {
  private final List<AddressBlock> trusted;

  /** @param trustedProxies addresses ({@code 10.0.0.5}) or blocks ({@code 10.0.0.0/24}, {@code fd00::/8}); none: never read the header */
  public ClientAddress(List<String> trustedProxies) {
    List<AddressBlock> blocks = new ArrayList<>();
    for (String p : trustedProxies == null ? List.<String>of() : trustedProxies) {
      try {
        blocks.add(AddressBlock.parse(p));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("node.trustedProxies: " + e.getMessage(), e);
      }
    }
    this.trusted = List.copyOf(blocks);
  }

  public String of(HttpServerRequest request) {
    String peer = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    if (peer == null || !trusted(peer)) return peer;
    // every header line: a proxy that adds its own line leaves the client's (maybe forged) one first
    String forwarded = String.join(",", request.headers().getAll("X-Forwarded-For"));
    if (forwarded == null || forwarded.isBlank()) return peer;
    String[] hops = forwarded.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      if (AddressBlock.literal(hop) == null) return peer; // a header that is not a list of addresses is not believed
      if (!trusted(hop)) return hop;
    }
    return peer;
  }

  private boolean trusted(String address) {
    byte[] a = AddressBlock.literal(address);
    return a != null && trusted.stream().anyMatch(b -> b.contains(a));
  }
}
