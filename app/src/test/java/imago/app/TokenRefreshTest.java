package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POST /auth/refresh: short-lived tokens that continue one session, which ends auth.maxSession after
 * its first token and is revoked whole by revoking any of its tokens.
 */
class TokenRefreshTest {
  @TempDir static Path tmp;
  static TestImago node;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static HttpResponse<String> refresh(String token) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/auth/refresh"))
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  private static int studies(String token) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/dicomweb/studies"))
        .header("Authorization", "Bearer " + token).build()).statusCode();
  }

  private static JsonObject claims(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  @Test
  void aRefreshedTokenIsShortLivedAndContinuesTheSession() throws Exception {
    String first = node.token("demo", Caller.Role.RADIOLOGIST);
    HttpResponse<String> r = refresh(first);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
    String next = new JsonObject(r.body()).getString("token");
    assertEquals(claims(first).getString("jti"), claims(next).getString("sid"));
    assertNotEquals(claims(first).getString("jti"), claims(next).getString("jti"));
    assertTrue(claims(next).getLong("exp") <= Instant.now().plus(Duration.ofHours(1)).getEpochSecond() + 5);
    assertEquals(2, studies(next) / 100, "the refreshed token is accepted");
    String again = new JsonObject(refresh(next).body()).getString("token");
    assertEquals(claims(first).getString("jti"), claims(again).getString("sid"), "refreshing a refreshed token keeps the session");
  }

  @Test
  void refreshingNeverOutlivesTheFirstToken() throws Exception {
    String tenMinutes = node.imago.auth().mint("contractor", "demo", Caller.Role.RADIOLOGIST, Duration.ofMinutes(10));
    String next = new JsonObject(refresh(tenMinutes).body()).getString("token");
    String again = new JsonObject(refresh(next).body()).getString("token");
    assertTrue(claims(again).getLong("exp") <= claims(tenMinutes).getLong("exp"),
        "a 10-minute token stays a 10-minute session however often it is refreshed");
  }

  @Test
  void revokingTheFirstTokenRevokesEveryTokenRefreshedFromIt() throws Exception {
    String first = node.token("demo", Caller.Role.RADIOLOGIST);
    String next = new JsonObject(refresh(first).body()).getString("token");
    Config config = Config.load(null, Map.of(), TestImago.overrides(node.data));
    TokenCommand.revoke(config, first);
    assertEquals(401, studies(next));
    assertEquals(401, refresh(next).statusCode());
  }

  @Test
  void revokingARefreshedTokenEndsItsWholeSession() throws Exception {
    String first = node.token("demo", Caller.Role.RADIOLOGIST);
    String next = new JsonObject(refresh(first).body()).getString("token");
    TokenCommand.revoke(Config.load(null, Map.of(), TestImago.overrides(node.data)), next);
    assertEquals(401, studies(first), "the session's first token too");
  }

  @Test
  void aSessionCannotBeRefreshedPastItsMaximum() throws Exception {
    String first = node.token("demo", Caller.Role.RADIOLOGIST);
    node.clock.advance(Duration.ofHours(25));
    try {
      HttpResponse<String> r = refresh(first);
      assertEquals(401, r.statusCode(), r.body());
      assertTrue(r.body().contains("session-over"), r.body());
    } finally {
      node.clock.advance(Duration.ofHours(-25));
    }
  }
}
