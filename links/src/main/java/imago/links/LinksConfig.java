package imago.links;

import java.time.Duration;
import java.util.List;

/**
 * The {@code links} section of the configuration.
 *
 * @param defaultTtl a new link's lifetime when the request names none
 * @param maxTtl the longest lifetime a link may have (a link is a capability: anyone holding its URL opens the study)
 * @param webhooks FSE gateway endpoints told, with a signed POST of the link's FHIR Bundle, when
 *     results attach to a linked study
 */
public record LinksConfig(Duration defaultTtl, Duration maxTtl, List<Webhook> webhooks) {

  /**
   * One endpoint, the shared secret its notifications are signed with (HMAC-SHA256), and the
   * tenants whose links it hears of: a gateway learns of its own hospitals' patients only.
   */
  public record Webhook(String url, String secret, List<String> tenants) {
    public Webhook {
      tenants = tenants == null ? List.of() : List.copyOf(tenants);
    }
  }

  public LinksConfig {
    webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
    for (Webhook w : webhooks) {
      if (w.url() == null || w.secret() == null || w.secret().length() < 16) {
        throw new IllegalArgumentException("links.webhooks: each needs a url and a secret of at least 16 characters");
      }
      if (!w.url().startsWith("https://") && !w.url().matches("http://(127\\.0\\.0\\.1|localhost|\\[::1])(:\\d+)?(/.*)?")) {
        // the Bundle names patients: it leaves this machine over TLS (certificates checked by the JDK) or not at all
        throw new IllegalArgumentException("links.webhooks: " + w.url() + " is not https:// (plain http only to this machine)");
      }
      if (w.tenants().isEmpty()) {
        throw new IllegalArgumentException("links.webhooks: " + w.url() + " names no tenants: each webhook hears of the links "
            + "of the tenants it lists (tenants: [id, ...])");
      }
    }
  }
}
