package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import imago.web.BearerAuth;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.time.Duration;

/** {@code imago token}: a bearer token signed with this installation's key. */
final class TokenCommand {
  private TokenCommand() {}

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
