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
  private final Duration refreshTtl;
  private final Duration maxSession;

  public BearerAuth(Vertx vertx, AuthConfig config) {
    this.refreshTtl = config.refreshTtl();
    this.maxSession = config.maxSession();
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

  /**
   * A verified token: who it names, its id (jti, by which it can be revoked; null when its issuer
   * gave none), and the session it belongs to: {@code sid}, the jti of the session's first token
   * (revoking that one revokes every token refreshed from it), and when that first token was made.
   */
  public record Token(Caller caller, String jti, Instant expiresAt, String session, Instant sessionStart,
      Instant sessionEnd) {
    /** Whether Imago signed it (HS256), rather than an identity provider. */
    public boolean imagos() {
      return caller.issuer() == null;
    }
  }

  /** Mints a token (the {@code imago token} command, demos, tests), with a random jti: the first of its session. */
  public String mint(String subject, String tenantId, Caller.Role role, Duration ttl) {
    return sign(subject, tenantId, role, ttl, null, null, null);
  }

  private String sign(String subject, String tenantId, Caller.Role role, Duration ttl, String session, Instant sessionStart,
      Instant sessionEnd) {
    JsonObject claims = new JsonObject().put("tenant", tenantId).put("role", role.name().toLowerCase())
        .put("jti", UUID.randomUUID().toString());
    if (session != null) {
      claims.put("sid", session).put("auth_time", sessionStart.getEpochSecond()).put("sexp", sessionEnd.getEpochSecond());
    }
    return jwt.generateToken(claims,
        new JWTOptions().setAlgorithm("HS256").setIssuer(issuer).setAudience(List.of(audience)).setSubject(subject)
            .setExpiresInSeconds((int) Math.min(Integer.MAX_VALUE, ttl.toSeconds())));
  }

  /**
   * A fresh token of {@code token}'s session for the same caller: {@code auth.refreshTtl} long, never
   * past the session's end, which is the first token's own expiry or {@code auth.maxSession} after
   * it was made, whichever comes first: refreshing keeps a session on short tokens, it never makes
   * a token last longer than it was minted for. Only Imago's own tokens are refreshed; an identity
   * provider's are renewed by the provider.
   */
  public String refresh(Token token, Instant now) {
    if (!token.imagos()) {
      throw Problem.of(400, "not-refreshable", "Token not refreshable", "tokens of " + token.caller().issuer()
          + " are renewed by their identity provider").exception();
    }
    if (token.session() == null || token.sessionStart() == null) {
      throw Problem.of(400, "not-refreshable", "Token not refreshable", "the token has no jti or issue time").exception();
    }
    Instant end = token.sessionStart().plus(maxSession);
    if (token.sessionEnd() != null && token.sessionEnd().isBefore(end)) end = token.sessionEnd();
    Duration left = Duration.between(now, end);
    if (left.toSeconds() < 1) {
      throw Problem.of(401, "session-over", "Session over", "a session ends when its first token would have, at most "
          + maxSession.toHours() + " hours after it (auth.maxSession): sign in with a new token").exception();
    }
    Duration ttl = left.compareTo(refreshTtl) < 0 ? left : refreshTtl;
    return sign(token.caller().subject(), token.caller().tenantId(), token.caller().role(), ttl, token.session(),
        token.sessionStart(), end);
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
            String id = jti == null ? null : jti.toString();
            Object sid = p.getValue("sid");
            Object started = p.getValue("auth_time") != null ? p.getValue("auth_time")
                : user.containsKey("iat") ? user.get("iat") : p.getValue("iat");
            Object sexp = p.getValue("sexp");
            return Future.succeededFuture(new Token(new Caller(p.getString("sub", ""), tenant, parsed, by), id, expiresAt,
                sid == null ? id : sid.toString(),
                started instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null,
                sexp instanceof Number e ? Instant.ofEpochSecond(e.longValue()) : sid == null ? expiresAt : null));
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(new ProblemException(Problem.of(401, "unauthorized", "Unknown role " + role, null)));
          }
        });
  }
}
