package imago.core.tenant;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The configured tenants, looked up by id or by calling AE title, and listed in configuration order. */
public final class Tenants {
  private final Map<String, Tenant> byId = new LinkedHashMap<>();
  private final Map<String, Tenant> byAeTitle = new HashMap<>();

  public Tenants(List<Tenant> tenants) {
    for (Tenant t : tenants) {
      if (byId.put(t.id(), t) != null) throw new IllegalArgumentException("duplicate tenant " + t.id());
      for (String ae : t.aeTitles()) {
        Tenant other = byAeTitle.put(ae.trim(), t);
        if (other != null) {
          throw new IllegalArgumentException("AE title " + ae + " belongs to both " + other.id() + " and " + t.id());
        }
      }
    }
  }

  public Optional<Tenant> byId(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** PS3.8: AE titles are compared without leading/trailing spaces. */
  public Optional<Tenant> byAeTitle(String callingAeTitle) {
    return callingAeTitle == null ? Optional.empty() : Optional.ofNullable(byAeTitle.get(callingAeTitle.trim()));
  }

  /** Every tenant, in the order the configuration lists them (the first is a command's default). */
  public List<Tenant> all() {
    return List.copyOf(byId.values());
  }
}
