package imago.node;

import imago.web.PublicUrl;
import java.time.Duration;
import java.util.List;

/**
 * The {@code node} section of the configuration (see imago-defaults.yaml for every key). Plain
 * DIMSE and HTTP listen on {@code bindAddress} (loopback unless opened on purpose), DICOM TLS and
 * HTTPS on {@code tlsBindAddress}; a port of -1 turns its listener off.
 */
public record NodeConfig(String aeTitle, String bindAddress, int dicomPort, int httpPort, String publicUrl,
    int maxAssociations, int maxPduLength, Duration socketTimeout, long maxStowRequestSize,
    Duration stableQuietPeriod, List<Object> moveDestinations, List<String> trustedProxies, String tlsBindAddress,
    int dicomTlsPort, int httpsPort) {

  /** @param moveDestinations no longer read: destinations belong to tenants (refused when set, with where they went) */
  public NodeConfig {
    trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
    tlsBindAddress = tlsBindAddress == null || tlsBindAddress.isBlank() ? "0.0.0.0" : tlsBindAddress;
    if (moveDestinations != null && !moveDestinations.isEmpty()) {
      throw new IllegalArgumentException("node.moveDestinations moved to each tenant: tenants[].moveDestinations "
          + "(a C-MOVE destination belongs to one hospital)");
    }
  }

  /** Whether plain DIMSE and HTTP, which carry no peer authentication but AE titles and tokens, listen on loopback only. */
  public boolean plainOnLoopback() {
    try {
      return java.net.InetAddress.getByName(bindAddress).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** Where Imago is reached: the one rule for every URL it writes. */
  public PublicUrl address() {
    return new PublicUrl(publicUrl);
  }
}
