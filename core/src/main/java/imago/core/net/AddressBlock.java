package imago.core.net;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IP address or CIDR block ({@code 10.0.0.5}, {@code 10.1.0.0/16}, {@code fd00::/8}); never a host name. */
public record AddressBlock(byte[] network, int prefix) {
  public static AddressBlock parse(String text) {
    String[] parts = text.trim().split("/", 2);
    byte[] network = literal(parts[0]);
    if (network == null) throw new IllegalArgumentException("not an IP address or block: " + text);
    int prefix;
    try {
      prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : network.length * 8;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad prefix in " + text);
    }
    if (prefix < 0 || prefix > network.length * 8) throw new IllegalArgumentException("bad prefix in " + text);
    return new AddressBlock(network, prefix);
  }

  public boolean contains(InetAddress address) {
    return contains(address.getAddress());
  }

  public boolean contains(byte[] address) {
    if (address.length != network.length) return false;
    BigInteger mask = BigInteger.ONE.shiftLeft(address.length * 8).subtract(BigInteger.ONE).shiftRight(prefix).not();
    return new BigInteger(1, address).and(mask).equals(new BigInteger(1, network).and(mask));
  }

  /** The bytes of an IP literal; null for anything else (no DNS lookup is ever made). */
  public static byte[] literal(String text) {
    String t = text.trim();
    if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
    if (t.isEmpty() || !(t.contains(":") || t.matches("\\d{1,3}(\\.\\d{1,3}){3}")) || !t.matches("[0-9A-Fa-f:.]+")) return null;
    try {
      return InetAddress.getByName(t).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
