package imago.core.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Commands that default to the first tenant get the one the configuration lists first, every time. */
class TenantsTest {
  @Test
  void tenantsAreListedInConfigurationOrder() {
    List<Tenant> configured = new ArrayList<>();
    for (String id : List.of("demo", "other", "zeta", "alpha", "ospedale-1", "ospedale-2", "b", "a")) {
      configured.add(new Tenant(id, id, List.of(id.toUpperCase().replace("-", ""))));
    }
    assertEquals(configured, new Tenants(configured).all());
    assertEquals("demo", new Tenants(configured).all().get(0).id());
  }
}
