package imago.storage.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code audit} section as operators write it. */
class AuditConfigTest {
  private static AuditConfig.Syslog bind(Map<String, String> keys) {
    return Config.load(null, Map.of(), keys).section("audit", AuditConfig.class).syslog();
  }

  @Test
  void exportIsOffByDefault() {
    AuditConfig.Syslog syslog = bind(Map.of());
    assertFalse(syslog.enabled());
    assertEquals(6514, syslog.port());
    assertEquals("imago", syslog.appName());
    assertEquals(Duration.ofSeconds(1), syslog.pollInterval());
  }

  @Test
  void aTransportNeedsAHostAndSaysWhichKey() {
    Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> bind(Map.of("audit.syslog.transport", "tls")));
    assertTrue(e.getMessage().contains("audit.syslog.host"), e.getMessage());
    AuditConfig.Syslog udp = bind(Map.of("audit.syslog.transport", "UDP", "audit.syslog.host", "atna.example", "audit.syslog.port", "514"));
    assertEquals(AuditConfig.Transport.UDP, udp.transport());
    assertEquals(514, udp.port());
  }
}
