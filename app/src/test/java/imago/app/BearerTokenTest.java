package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens of a regional identity provider (RS256, its public key in config) are accepted; forged ones not. */
class BearerTokenTest {
  @TempDir Path tmp;

  @Test
  void rs256TokensFromTheConfiguredProviderAreAcceptedAndOthersRefused() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair idp = gen.generateKeyPair();
    KeyPair forger = gen.generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(idp.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    try (TestImago node = TestImago.start(tmp.resolve("data"), Map.of("auth.rs256PublicKey", pem,
        "auth.rs256Issuer", "https://idp.example.org"))) {
      List<byte[]> part = List.of(SyntheticCt.instance(SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(3), 1, 1, 1));
      long exp = Instant.now().plusSeconds(600).getEpochSecond();
      String claims = "{\"iss\":\"https://idp.example.org\",\"aud\":\"imago\",\"sub\":\"pacs@demo\",\"tenant\":\"demo\",\"role\":\"hospital\","
          + "\"exp\":" + exp + "}";
      assertEquals(200, node.stow(rs256(claims, idp), null, part).statusCode());
      assertEquals(401, node.stow(rs256(claims, forger), null, part).statusCode(), "signed by another key");
      String expired = claims.replace(Long.toString(exp), Long.toString(Instant.now().minusSeconds(600).getEpochSecond()));
      assertEquals(401, node.stow(rs256(expired, idp), null, part).statusCode(), "expired");
      String otherIssuer = claims.replace("\"iss\":\"https://idp.example.org\"", "\"iss\":\"someone-else\"");
      assertNotEquals(200, node.stow(rs256(otherIssuer, idp), null, part).statusCode(), "wrong issuer");
      // Security: one issuer per key: the provider's key cannot sign tokens in Imago's own name.
      String asImago = claims.replace("\"iss\":\"https://idp.example.org\"", "\"iss\":\"imago\"");
      assertEquals(401, node.stow(rs256(asImago, idp), null, part).statusCode(), "the provider's key speaking as imago");
      // Security: a token meant for another service, or one that never expires, is no key here.
      assertEquals(401, node.stow(rs256(claims.replace("\"aud\":\"imago\",", ""), idp), null, part).statusCode(), "no audience");
      assertEquals(401, node.stow(rs256(claims.replace("\"aud\":\"imago\"", "\"aud\":\"billing\""), idp), null, part)
          .statusCode(), "another audience");
      assertEquals(401, node.stow(rs256(claims.replace(",\"exp\":" + exp, ""), idp), null, part).statusCode(), "no expiry");
      // Security: a share names issuer and subject: the provider's "dr.rossi" is not Imago's "dr.rossi".
      String study = SyntheticCt.studyInstanceUid(SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(3), 1);
      String idpDoctor = rs256(claims.replace("\"sub\":\"pacs@demo\"", "\"sub\":\"dr.rossi\"").replace("\"tenant\":\"demo\"",
          "\"tenant\":\"other\"").replace("\"role\":\"hospital\"", "\"role\":\"radiologist\""), idp);
      java.net.http.HttpRequest qido = java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.baseUrl()
          + "/dicomweb/studies?StudyInstanceUID=" + study)).header("Authorization", "Bearer " + idpDoctor).build();
      assertEquals(201, share(node, study, "{\"grantee\": \"dr.rossi\"}"));
      assertEquals(204, node.send(qido).statusCode(), "a share to Imago's dr.rossi opens nothing to the provider's");
      assertEquals(201, share(node, study, "{\"grantee\": \"dr.rossi\", \"issuer\": \"https://idp.example.org\"}"));
      assertEquals(200, node.send(qido).statusCode(), "the provider's dr.rossi, named with its issuer");
    }
  }

  /** Security: a token that leaked can be revoked before it expires, and is refused from then on. */
  @Test
  void aRevokedTokenIsRefused() throws Exception {
    try (TestImago node = TestImago.start(tmp.resolve("revoke"))) {
      imago.core.config.Config config = imago.core.config.Config.load(null, Map.of(), TestImago.overrides(node.data));
      String token = TokenCommand.mint(config, "demo", imago.core.tenant.Caller.Role.RADIOLOGIST, java.time.Duration.ofHours(1),
          "leaked@demo");
      java.net.http.HttpRequest qido = java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.baseUrl() + "/dicomweb/studies"))
          .header("Authorization", "Bearer " + token).build();
      assertTrue(node.send(qido).statusCode() / 100 == 2, "the token works");
      String jti = TokenCommand.revoke(config, token);
      assertTrue(jti != null && !jti.isBlank());
      java.net.http.HttpResponse<String> refused = node.send(qido);
      assertEquals(401, refused.statusCode());
      assertTrue(refused.body().contains("Token revoked"), refused.body());
    }
  }

  /** Security: a configured HS256 secret shorter than the hash is refused at start, not used. */
  @Test
  void aShortConfiguredSecretStopsTheStart() {
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> TestImago.start(tmp.resolve("short"), Map.of("auth.jwtSecret", "secret")).close());
    String why = e + (e.getCause() == null ? "" : " / " + e.getCause());
    assertTrue(why.contains("at least 32 bytes"), why);
  }

  private static int share(TestImago node, String study, String grantee) throws Exception {
    String body = new io.vertx.core.json.JsonObject(grantee).put("studyUID", study).put("ttl", "P1D").encode();
    return node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.baseUrl() + "/admin/shares"))
        .header("Authorization", "Bearer " + node.token("demo", imago.core.tenant.Caller.Role.HOSPITAL))
        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build())
        .statusCode();
  }

  private static String rs256(String claims, KeyPair key) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key.getPrivate());
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(s.sign());
  }
}
