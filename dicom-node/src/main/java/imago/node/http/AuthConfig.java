package imago.node.http;

/** The {@code auth} section: the HS256 key for bearer tokens and their issuer. */
public record AuthConfig(String jwtSecret, String issuer) {
  public AuthConfig withSecret(String secret) {
    return new AuthConfig(secret, issuer);
  }
}
