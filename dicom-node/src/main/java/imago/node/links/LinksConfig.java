package imago.node.links;

import java.time.Duration;

/**
 * The {@code links} section of the configuration.
 *
 * @param defaultTtl a new link's lifetime when the request names none
 * @param maxTtl the longest lifetime a link may have (images are kept at least 10 years in Italy, DM 14/02/1997)
 */
public record LinksConfig(Duration defaultTtl, Duration maxTtl) {}
