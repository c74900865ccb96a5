package imago.web;

import io.vertx.core.http.HttpServerRequest;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who is on the other end of a request, for the audit: the connection's peer, unless that peer is
 * one of the configured reverse proxies (node.trustedProxies: addresses or CIDR blocks), in which
 * case the right-most address of {@code X-Forwarded-For} that is not itself a trusted proxy. A
 * client can put anything in that header, so it is read only when a trusted proxy set it.
 */
public final class ClientAddress {
  /** One trusted address or block. */
  private record Block(byte[] network, int prefix) {
    boolean contains(byte[] address) {
      if (address.length != network.length) return false;
      BigInteger mask = BigInteger.ONE.shiftLeft(address.length * 8).subtract(BigInteger.ONE)
          .shiftRight(prefix).not();
      return new BigInteger(1, address).and(mask).equals(new BigInteger(1, network).and(mask));
    }
  }

  private final List<Block> trusted;

  /** @param trustedProxies addresses ({@code 10.0.0.5}) or blocks ({@code 10.0.0.0/24}, {@code fd00::/8}); none: never read the header */
  public ClientAddress(List<String> trustedProxies) {
    List<Block> blocks = new ArrayList<>();
    for (String p : trustedProxies == null ? List.<String>of() : trustedProxies) {
      String[] parts = p.trim().split("/", 2);
      byte[] network = literal(parts[0]);
      if (network == null) throw new IllegalArgumentException("node.trustedProxies: not an IP address or block: " + p);
      int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : network.length * 8;
      if (prefix < 0 || prefix > network.length * 8) throw new IllegalArgumentException("node.trustedProxies: bad prefix in " + p);
      blocks.add(new Block(network, prefix));
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
      if (literal(hop) == null) return peer; // a header that is not a list of addresses is not believed
      if (!trusted(hop)) return hop;
    }
    return peer;
  }

  private boolean trusted(String address) {
    byte[] a = literal(address);
    return a != null && trusted.stream().anyMatch(b -> b.contains(a));
  }

  /** The bytes of an IP literal; null for anything else (never a DNS lookup). */
  private static byte[] literal(String text) {
    String t = text.trim();
    if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
    if (t.isEmpty() || !(t.contains(":") || t.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) return null;
    if (!t.matches("[0-9A-Fa-f:.]+")) return null;
    try {
      return InetAddress.getByName(t).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
