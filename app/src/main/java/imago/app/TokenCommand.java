package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import imago.storage.StorageConfig;
import imago.storage.index.Database;
import imago.storage.index.SqlIndex;
import imago.storage.index.SqlUnavailableException;
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
   * the index, until it would have expired anyway. Returns the revoked jti.
   */
  static String revoke(Config config, String tokenOrJti) throws IOException {
    String jti = tokenOrJti;
    Instant expiresAt = null;
    String[] parts = tokenOrJti.split("\\.");
    if (parts.length == 3) { // a JWT: its payload names the jti (no need to verify a token in order to refuse it)
      JsonObject payload = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
      jti = payload.getValue("jti") == null ? null : String.valueOf(payload.getValue("jti"));
      if (jti == null) throw new IllegalArgumentException("this token has no jti: it cannot be revoked one by one");
      if (payload.getValue("exp") instanceof Number exp) expiresAt = Instant.ofEpochSecond(exp.longValue());
    }
    StorageConfig storage = config.section("storage", StorageConfig.class);
    try (Database db = Database.open(storage.db(), config.dataDir())) {
      new SqlIndex(db.dataSource()).revokeToken(jti, expiresAt);
    } catch (SqlUnavailableException e) {
      throw new IOException("index unavailable: " + e.getMessage(), e);
    }
    return jti;
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
