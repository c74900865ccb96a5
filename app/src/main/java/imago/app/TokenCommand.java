package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import imago.storage.StorageConfig;
import imago.storage.index.Database;
import imago.storage.index.SqlIndex;
import imago.storage.index.SqlUnavailableException;
import imago.web.AuthConfig;
import imago.web.BearerAuth;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/** {@code imago token}: a bearer token signed with this installation's key, and revoking one. */
final class TokenCommand {
  private TokenCommand() {}

  /**
   * {@code imago token revoke TOKEN|JTI}: the token is refused from now on, by every node sharing
   * the index, until it would have expired anyway. A refreshed token's whole session goes with it
   * (its {@code sid}, the jti of the session's first token, is revoked too). Returns what was revoked.
   */
  static String revoke(Config config, String tokenOrJti) throws IOException {
    String jti = tokenOrJti;
    String session = null;
    Instant expiresAt = null;
    Instant sessionEnd = null;
    String[] parts = tokenOrJti.split("\\.");
    if (parts.length == 3) { // a JWT: its payload names the jti (no need to verify a token in order to refuse it)
      JsonObject payload = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
      jti = payload.getValue("jti") == null ? null : String.valueOf(payload.getValue("jti"));
      if (jti == null) throw new IllegalArgumentException("this token has no jti: it cannot be revoked one by one");
      if (payload.getValue("exp") instanceof Number exp) expiresAt = Instant.ofEpochSecond(exp.longValue());
      if (payload.getValue("sid") != null && !String.valueOf(payload.getValue("sid")).equals(jti)) {
        session = String.valueOf(payload.getValue("sid"));
        if (payload.getValue("auth_time") instanceof Number start) {
          sessionEnd = Instant.ofEpochSecond(start.longValue()).plus(config.section("auth", AuthConfig.class).maxSession());
        }
      }
    }
    StorageConfig storage = config.section("storage", StorageConfig.class);
    try (Database db = Database.open(storage.db(), config.dataDir())) {
      SqlIndex index = new SqlIndex(db.dataSource());
      index.revokeToken(jti, expiresAt);
      if (session != null) index.revokeToken(session, sessionEnd);
    } catch (SqlUnavailableException e) {
      throw new IOException("index unavailable: " + e.getMessage(), e);
    }
    return session == null ? jti : jti + " and its session " + session;
  }

  static String mint(Config config, String tenantId, Caller.Role role, Duration ttl, String subject) throws IOException {
    if (Imago.tenants(config).byId(tenantId).isEmpty()) {
      throw new IllegalArgumentException("no tenant '" + tenantId + "' in the configuration");
    }
    Vertx vertx = Vertx.vertx();
    try {
      BearerAuth auth = Imago.auth(vertx, config, config.dataDir());
      return auth.mint(subject == null ? role.name().toLowerCase() + "@" + tenantId : subject, tenantId, role, ttl);
    } finally {
      vertx.close();
    }
  }
}
