package imago.node;

import imago.web.PublicUrl;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The {@code node} section of the configuration (see imago-defaults.yaml for every key). */
public record NodeConfig(String aeTitle, String bindAddress, int dicomPort, int httpPort, String publicUrl,
    int maxAssociations, int maxPduLength, Duration socketTimeout, long maxStowRequestSize,
    Duration stableQuietPeriod, List<MoveDestination> moveDestinations) {

  /** A C-MOVE destination (PS3.4 C.4.2): the AE title a C-MOVE-RQ names, and where that AE listens. */
  public record MoveDestination(String aeTitle, String host, int port) {}

  public NodeConfig {
    moveDestinations = moveDestinations == null ? List.of() : List.copyOf(moveDestinations);
  }

  /** Where Imago is reached: the one rule for every URL it writes. */
  public PublicUrl address() {
    return new PublicUrl(publicUrl);
  }

  /** The configured destination with this AE title (compared without surrounding spaces, PS3.8). */
  public Optional<MoveDestination> moveDestination(String aeTitle) {
    if (aeTitle == null) return Optional.empty();
    return moveDestinations.stream().filter(d -> d.aeTitle().trim().equals(aeTitle.trim())).findFirst();
  }
}
