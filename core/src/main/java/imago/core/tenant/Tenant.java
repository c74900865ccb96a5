package imago.core.tenant;

import java.util.List;

/** A hospital using Imago. DIMSE peers are known by their calling AE titles. */
public record Tenant(String id, String name, List<String> aeTitles) {
  public Tenant {
    if (id == null || !id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new IllegalArgumentException("tenant id must be lowercase letters, digits, '-': " + id);
    }
    aeTitles = aeTitles == null ? List.of() : List.copyOf(aeTitles);
  }
}
