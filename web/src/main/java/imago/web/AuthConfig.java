package imago.web;

/**
 * The {@code auth} section: the HS256 key Imago signs its own tokens with, optionally the RS256
 * public key (PEM) of a regional identity provider whose tokens are accepted too, and the issuer.
 */
public record AuthConfig(String jwtSecret, String rs256PublicKey, String issuer) {
  public AuthConfig withSecret(String secret) {
    return new AuthConfig(secret, rs256PublicKey, issuer);
  }
}
