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

  /** One endpoint and the shared secret its notifications are signed with (HMAC-SHA256). */
  public record Webhook(String url, String secret) {}

  public LinksConfig {
    webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
    for (Webhook w : webhooks) {
      if (w.url() == null || w.secret() == null || w.secret().length() < 16) {
        throw new IllegalArgumentException("links.webhooks: each needs a url and a secret of at least 16 characters");
      }
    }
  }
}
