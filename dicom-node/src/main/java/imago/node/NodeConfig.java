package imago.node;

import imago.web.PublicUrl;
import java.time.Duration;
import java.util.List;

/** The {@code node} section of the configuration (see imago-defaults.yaml for every key). */
public record NodeConfig(String aeTitle, String bindAddress, int dicomPort, int httpPort, String publicUrl,
    int maxAssociations, int maxPduLength, Duration socketTimeout, long maxStowRequestSize,
    Duration stableQuietPeriod, List<Object> moveDestinations, List<String> trustedProxies) {

  /** @param moveDestinations no longer read: destinations belong to tenants (refused when set, with where they went) */
  public NodeConfig {
    trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
    if (moveDestinations != null && !moveDestinations.isEmpty()) {
      throw new IllegalArgumentException("node.moveDestinations moved to each tenant: tenants[].moveDestinations "
          + "(a C-MOVE destination belongs to one hospital)");
    }
  }

  /** Where Imago is reached: the one rule for every URL it writes. */
  public PublicUrl address() {
    return new PublicUrl(publicUrl);
  }
}
