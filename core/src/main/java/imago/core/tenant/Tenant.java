package imago.core.tenant;

import imago.core.net.AddressBlock;
import java.net.InetAddress;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A hospital using Imago. DIMSE peers are known by their calling AE titles; its C-MOVE
 * destinations are its own (another hospital cannot send its studies there, nor it to another's).
 * {@code clientCas} are PEM files of the hospital's own CAs: certificates they sign are accepted over
 * DICOM TLS for this tenant's AEs and no other tenant's.
 */
public record Tenant(String id, String name, List<String> aeTitles, List<MoveDestination> moveDestinations,
    Map<String, List<Right>> aeRights, Map<String, List<String>> aeAddresses, List<String> clientCas) {
  /**
   * A C-MOVE destination (PS3.4 C.4.2): the AE title a C-MOVE-RQ names, where that AE listens, and
   * whether it is reached over DICOM TLS (PS3.15 Annex B; its certificate must name {@code host}).
   */
  public record MoveDestination(String aeTitle, String host, int port, boolean tls) {
    /** A destination reached over plain DIMSE (the form without {@code tls}). */
    public MoveDestination(String aeTitle, String host, int port) {
      this(aeTitle, host, port, false);
    }
  }

  /** What a DIMSE peer may do: C-STORE, C-FIND, C-MOVE and C-GET. */
  public enum Right {
    STORE, QUERY, RETRIEVE;

    @com.fasterxml.jackson.annotation.JsonCreator
    public static Right parse(String value) {
      return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }

  public Tenant {
    if (id == null || !id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new IllegalArgumentException("tenant id must be lowercase letters, digits, '-': " + id);
    }
    aeTitles = aeTitles == null ? List.of() : List.copyOf(aeTitles);
    moveDestinations = moveDestinations == null ? List.of() : List.copyOf(moveDestinations);
    aeRights = aeRights == null ? Map.of() : Map.copyOf(aeRights);
    aeAddresses = aeAddresses == null ? Map.of() : Map.copyOf(aeAddresses);
    clientCas = clientCas == null ? List.of() : List.copyOf(clientCas);
    for (String ae : aeRights.keySet()) {
      if (!aeTitles.contains(ae)) throw new IllegalArgumentException("tenant " + id + ": aeRights names " + ae + ", not one of its aeTitles");
    }
    for (Map.Entry<String, List<String>> e : aeAddresses.entrySet()) {
      if (!aeTitles.contains(e.getKey())) {
        throw new IllegalArgumentException("tenant " + id + ": aeAddresses names " + e.getKey() + ", not one of its aeTitles");
      }
      e.getValue().forEach(AddressBlock::parse); // a typo stops the start, not an association later
    }
  }

  public Tenant(String id, String name, List<String> aeTitles) {
    this(id, name, aeTitles, List.of(), Map.of(), Map.of(), List.of());
  }

  public Tenant(String id, String name, List<String> aeTitles, List<MoveDestination> moveDestinations) {
    this(id, name, aeTitles, moveDestinations, Map.of(), Map.of(), List.of());
  }

  /** Without CAs of its own: its hospitals' certificates come from Imago's CA (or tls.ca, tls.clientCas). */
  public Tenant(String id, String name, List<String> aeTitles, List<MoveDestination> moveDestinations,
      Map<String, List<Right>> aeRights, Map<String, List<String>> aeAddresses) {
    this(id, name, aeTitles, moveDestinations, aeRights, aeAddresses, List.of());
  }

  /** Whether the AE may connect from {@code address}: anywhere unless aeAddresses lists where it may. */
  public boolean admits(String aeTitle, InetAddress address) {
    List<String> blocks = aeTitle == null ? null : aeAddresses.get(aeTitle.trim());
    return blocks == null || blocks.stream().anyMatch(b -> AddressBlock.parse(b).contains(address));
  }

  /** What the AE may do: what aeRights lists for it, everything when it is not listed there. */
  public Set<Right> rights(String aeTitle) {
    List<Right> listed = aeTitle == null ? null : aeRights.get(aeTitle.trim());
    return listed == null ? EnumSet.allOf(Right.class) : (listed.isEmpty() ? EnumSet.noneOf(Right.class) : EnumSet.copyOf(listed));
  }

  /** The tenant's destination with this AE title (compared without surrounding spaces, PS3.8). */
  public Optional<MoveDestination> moveDestination(String aeTitle) {
    if (aeTitle == null) return Optional.empty();
    return moveDestinations.stream().filter(d -> d.aeTitle().trim().equals(aeTitle.trim())).findFirst();
  }
}
