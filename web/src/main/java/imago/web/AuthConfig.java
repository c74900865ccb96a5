package imago.web;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The {@code auth} section: how bearer tokens are checked.
 *
 * @param jwtSecret the HS256 key (at least 32 bytes); empty: generated once into {data}/secrets
 * @param rs256PublicKey an identity provider's PEM public key whose RS256 tokens are accepted too
 * @param issuer the {@code iss} Imago's own tokens (HS256) name
 * @param rs256Issuer the {@code iss} the identity provider's tokens (RS256) name: one issuer per key
 * @param audience the {@code aud} every token must name (a token minted for another service is no key here)
 * @param refreshTtl the lifetime of a token {@code POST /auth/refresh} hands out (the viewer's, while it is open)
 * @param maxSession how long after its first token a session can be refreshed: then its user signs in again
 */
public record AuthConfig(String jwtSecret, String rs256PublicKey, String issuer, String rs256Issuer, String audience,
    Duration refreshTtl, Duration maxSession) {
  /** RFC 7518 §3.2: an HS256 key is at least as long as the hash. */
  public static final int MIN_SECRET_BYTES = 32;

  /** Refresh defaults: an hour per refreshed token, a day per session. */
  public AuthConfig(String jwtSecret, String rs256PublicKey, String issuer, String rs256Issuer, String audience) {
    this(jwtSecret, rs256PublicKey, issuer, rs256Issuer, audience, null, null);
  }

  public AuthConfig {
    refreshTtl = refreshTtl == null ? Duration.ofHours(1) : refreshTtl;
    maxSession = maxSession == null ? Duration.ofHours(24) : maxSession;
    if (refreshTtl.isNegative() || refreshTtl.isZero()) throw new IllegalArgumentException("auth.refreshTtl must be positive");
    if (jwtSecret != null && !jwtSecret.isBlank() && jwtSecret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("auth.jwtSecret must be at least " + MIN_SECRET_BYTES + " bytes (HS256); "
          + "leave it empty to have one generated into data/secrets");
    }
    if (audience == null || audience.isBlank()) throw new IllegalArgumentException("auth.audience must name this service");
    if (rs256PublicKey != null && !rs256PublicKey.isBlank()
        && (rs256Issuer == null || rs256Issuer.isBlank() || rs256Issuer.equals(issuer))) {
      throw new IllegalArgumentException("auth.rs256Issuer must name the identity provider, not Imago's own issuer: one issuer per key");
    }
  }

  public AuthConfig withSecret(String secret) {
    return new AuthConfig(secret, rs256PublicKey, issuer, rs256Issuer, audience, refreshTtl, maxSession);
  }
}
