package imago.web;

import imago.core.tenant.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.time.Instant;
import java.util.UUID;
import java.util.List;

/**
 * Bearer tokens (JWT) carrying a tenant and a role: Imago's own (HS256, issuer auth.issuer) and,
 * when configured, a regional identity provider's (RS256, issuer auth.rs256Issuer). One issuer
 * per key: a token is checked by the key its header names, against that key's issuer only, so
 * neither signer can speak for the other.
 */
public final class BearerAuth {
  private final JWTAuth jwt;
  private final JWTAuth provider;
  private final String issuer;
  private final String audience;

  public BearerAuth(Vertx vertx, AuthConfig config) {
    this.issuer = config.issuer();
    this.audience = config.audience();
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.jwtSecret()))
        .setJWTOptions(new JWTOptions().setIssuer(config.issuer()).setAudience(List.of(config.audience()))));
    this.provider = config.rs256PublicKey() == null || config.rs256PublicKey().isBlank() ? null
        : JWTAuth.create(vertx, new JWTAuthOptions()
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(config.rs256PublicKey()))
            .setJWTOptions(new JWTOptions().setIssuer(config.rs256Issuer()).setAudience(List.of(config.audience()))));
  }

  /** Whether {@code issuer} names Imago's own tokens (null does). */
  boolean ownIssuer(String issuer) {
    return issuer == null || issuer.equals(this.issuer);
  }

  /** The verifier for the algorithm the token's header names; null for any other. */
  private JWTAuth verifier(String token) {
    try {
      String header = new String(Base64.getUrlDecoder().decode(token.substring(0, Math.max(0, token.indexOf('.')))),
          StandardCharsets.UTF_8);
      String alg = new JsonObject(header).getString("alg", "");
      return alg.equals("HS256") ? jwt : alg.equals("RS256") ? provider : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A verified token: who it names, and its id (jti, by which it can be revoked; null when its issuer gave none). */
  public record Token(Caller caller, String jti, Instant expiresAt) {}

  /** Mints a token (the {@code imago token} command, demos, tests), with a random jti. */
  public String mint(String subject, String tenantId, Caller.Role role, Duration ttl) {
    return jwt.generateToken(new JsonObject().put("tenant", tenantId).put("role", role.name().toLowerCase())
            .put("jti", UUID.randomUUID().toString()),
        new JWTOptions().setAlgorithm("HS256").setIssuer(issuer).setAudience(List.of(audience)).setSubject(subject)
            .setExpiresInSeconds((int) Math.min(Integer.MAX_VALUE, ttl.toSeconds())));
  }

  /** The caller named by an {@code Authorization: Bearer ...} header, or a 401 problem. */
  public Future<Token> authenticate(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Bearer token required",
          "send Authorization: Bearer <token> (mint one with ./imago token)")));
    }
    String token = authorization.substring(7).trim();
    JWTAuth verifier = verifier(token);
    if (verifier == null) {
      return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Invalid bearer token",
          "the token is malformed or signed with an algorithm this Imago does not take")));
    }
    return verifier.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Invalid bearer token",
            "the token is expired, malformed, meant for another audience or not signed with this Imago's key"))))
        .compose(user -> {
          JsonObject p = user.principal();
          // A token that never expires is a key that never expires: refused, whoever signed it.
          if (!user.containsKey("exp")) {
            return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Token has no expiry",
                "every token must carry exp")));
          }
          if (!user.containsKey("aud")) {
            return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Token has no audience",
                "every token must carry aud: " + audience)));
          }
          String tenant = p.getString("tenant");
          String role = p.getString("role");
          if (tenant == null || role == null) {
            return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Token lacks tenant or role", null)));
          }
          try {
            Caller.Role parsed = Caller.Role.parse(role);
            if (parsed == Caller.Role.LINK) throw new IllegalArgumentException("a link is not a bearer role");
            Object exp = user.get("exp");
            Instant expiresAt = exp instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null;
            Object jti = user.containsKey("jti") ? user.get("jti") : p.getValue("jti");
            String by = verifier == jwt ? null : p.getString("iss");
            return Future.succeededFuture(new Token(new Caller(p.getString("sub", ""), tenant, parsed, by),
                jti == null ? null : jti.toString(), expiresAt));
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Unknown role " + role, null)));
          }
        });
  }
}
