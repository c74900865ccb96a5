package imago.core.tenant;

import java.util.List;
import java.util.Optional;

/**
 * A hospital using Imago. DIMSE peers are known by their calling AE titles; its C-MOVE
 * destinations are its own (another hospital cannot send its studies there, nor it to another's).
 */
public record Tenant(String id, String name, List<String> aeTitles, List<MoveDestination> moveDestinations) {
  /** A C-MOVE destination (PS3.4 C.4.2): the AE title a C-MOVE-RQ names, and where that AE listens. */
  public record MoveDestination(String aeTitle, String host, int port) {}

  public Tenant {
    if (id == null || !id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new IllegalArgumentException("tenant id must be lowercase letters, digits, '-': " + id);
    }
    aeTitles = aeTitles == null ? List.of() : List.copyOf(aeTitles);
    moveDestinations = moveDestinations == null ? List.of() : List.copyOf(moveDestinations);
  }

  public Tenant(String id, String name, List<String> aeTitles) {
    this(id, name, aeTitles, List.of());
  }

  /** The tenant's destination with this AE title (compared without surrounding spaces, PS3.8). */
  public Optional<MoveDestination> moveDestination(String aeTitle) {
    if (aeTitle == null) return Optional.empty();
    return moveDestinations.stream().filter(d -> d.aeTitle().trim().equals(aeTitle.trim())).findFirst();
  }
}
