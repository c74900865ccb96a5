package imago.links;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Security: webhooks carry patients' FHIR Bundles, so they leave over TLS, and each is bound to tenants. */
class LinksConfigTest {
  private static LinksConfig with(LinksConfig.Webhook w) {
    return new LinksConfig(Duration.ofDays(30), Duration.ofDays(365), List.of(w));
  }

  @Test
  void aWebhookLeavesOverHttpsOrStaysOnThisMachine() {
    String secret = "0123456789abcdef";
    IllegalArgumentException plain = assertThrows(IllegalArgumentException.class,
        () -> with(new LinksConfig.Webhook("http://fse.example.org/notify", secret, List.of("demo"))));
    assertTrue(plain.getMessage().contains("https"), plain.getMessage());
    assertDoesNotThrow(() -> with(new LinksConfig.Webhook("https://fse.example.org/notify", secret, List.of("demo"))));
    assertDoesNotThrow(() -> with(new LinksConfig.Webhook("http://127.0.0.1:9000/fse", secret, List.of("demo"))));
    assertThrows(IllegalArgumentException.class,
        () -> with(new LinksConfig.Webhook("https://fse.example.org/notify", secret, List.of())), "bound to no tenant");
  }
}
