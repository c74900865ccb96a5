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
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.List;

/**
 * Bearer tokens (JWT, HS256) carrying a tenant and a role. This is the seam full access control
 * grows from; for now a valid token of a known tenant may store into that tenant.
 */
public final class BearerAuth {
  private final JWTAuth jwt;
  private final String issuer;
  private final String audience;

  public BearerAuth(Vertx vertx, AuthConfig config) {
    this.issuer = config.issuer();
    this.audience = config.audience();
    JWTAuthOptions options = new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.jwtSecret()))
        .setJWTOptions(new JWTOptions().setIssuer(config.issuer()).setAudience(List.of(config.audience())));
    if (config.rs256PublicKey() != null && !config.rs256PublicKey().isBlank()) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(config.rs256PublicKey()));
    }
    this.jwt = JWTAuth.create(vertx, options);
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
    return jwt.authenticate(new TokenCredentials(authorization.substring(7).trim()))
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
            return Future.succeededFuture(new Token(new Caller(p.getString("sub", ""), tenant, parsed),
                jti == null ? null : jti.toString(), expiresAt));
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Unknown role " + role, null)));
          }
        });
  }
}
