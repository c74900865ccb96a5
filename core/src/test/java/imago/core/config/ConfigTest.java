package imago.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.tenant.Tenant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One file, environment overrides, explicit overrides: in that order, over the built-in defaults. */
class ConfigTest {
  @TempDir Path tmp;

  /** Security: {@code imago config} shows the configuration, never its secrets. */
  @Test
  void theYamlMasksSecretsAndShowsTheRest() {
    Config c = Config.load(null, Map.of(), Map.of("auth.jwtSecret", "a-very-secret-hs256-key-of-32-bytes!",
        "storage.s3.secretKey", "s3-secret-key-value", "storage.s3.accessKey", "AKIDPUBLIC", "storage.db.password", "pg-pass"));
    String yaml = c.toYaml();
    for (String secret : new String[] {"a-very-secret-hs256-key-of-32-bytes!", "s3-secret-key-value", "pg-pass"}) {
      assertFalse(yaml.contains(secret), secret + " shown:\n" + yaml);
    }
    assertTrue(yaml.contains("AKIDPUBLIC"), "an access key id is not a secret");
    assertTrue(yaml.contains("jwtSecret: \"***\""), yaml);
    assertTrue(c.section("auth", com.fasterxml.jackson.databind.JsonNode.class).get("jwtSecret").asText().startsWith("a-very"),
        "masked for display only");
  }

  @Test
  void defaultsLoadWithTheConventionsOfDesignMd() {
    Config c = Config.load(null, Map.of(), Map.of());

    assertEquals(11112, c.section("node.dicomPort", Integer.class));
    assertEquals(8080, c.section("node.httpPort", Integer.class));
    assertEquals("IMAGO", c.section("node.aeTitle", String.class));
    assertEquals(Duration.ofSeconds(10), c.section("node.stableQuietPeriod", Duration.class));
    assertEquals(Path.of("data").toAbsolutePath().normalize(), c.dataDir());
    Tenant[] tenants = c.section("tenants", Tenant[].class);
    assertEquals(1, tenants.length);
    assertEquals("demo", tenants[0].id());
    // Security: STORESCU (dcmtk's default calling AE, anyone's who did not choose one) is no tenant's by default.
    assertEquals(List.of("DEMO"), tenants[0].aeTitles());
    assertEquals("", c.section("storage.s3.endpoint", String.class), "embedded S3 by default");
    assertEquals("", c.section("storage.db.url", String.class), "embedded H2 by default");
  }

  @Test
  void aMissingFileMeansDefaults() {
    Config c = Config.load(tmp.resolve("no-such.yaml"), Map.of(), Map.of());
    assertEquals(11112, c.section("node.dicomPort", Integer.class));
  }

  @Test
  void environmentOverridesTheDicomPort() {
    Config c = Config.load(null, Map.of("IMAGO_NODE_DICOM_PORT", "104"), Map.of());
    assertEquals(104, c.section("node.dicomPort", Integer.class));
    assertEquals(8080, c.section("node.httpPort", Integer.class), "its neighbours keep their defaults");
  }

  @Test
  void imagoDataSetsTheDataFolder() {
    Path data = tmp.resolve("elsewhere");
    Config c = Config.load(null, Map.of("IMAGO_DATA", data.toString()), Map.of());
    assertEquals(data.toAbsolutePath().normalize(), c.dataDir());
  }

  @Test
  void fileThenEnvironmentThenOverridesEachWin() throws Exception {
    Path file = Files.writeString(tmp.resolve("imago.yaml"), """
        node:
          dicomPort: 1104
          httpPort: 1080
          aeTitle: FROMFILE
        """);
    Map<String, String> env = Map.of("IMAGO_NODE_HTTP_PORT", "2080", "IMAGO_NODE_AE_TITLE", "FROMENV");
    Config c = Config.load(file, env, Map.of("node.aeTitle", "OVERRIDE"));

    assertEquals(1104, c.section("node.dicomPort", Integer.class));
    assertEquals(2080, c.section("node.httpPort", Integer.class));
    assertEquals("OVERRIDE", c.section("node.aeTitle", String.class));
    assertEquals(32, c.section("node.maxAssociations", Integer.class), "keys the file leaves out keep their defaults");
  }

  @Test
  void aListIsOverriddenAsYaml() {
    String tenants = "[{id: north, name: North hospital, aeTitles: [NORTH_CT, NORTH_MR]}, {id: south, name: South}]";
    Config fromOverride = Config.load(null, Map.of(), Map.of("tenants", tenants));
    Config fromEnv = Config.load(null, Map.of("IMAGO_TENANTS", tenants), Map.of());

    for (Config c : List.of(fromOverride, fromEnv)) {
      Tenant[] t = c.section("tenants", Tenant[].class);
      assertEquals(2, t.length);
      assertEquals(new Tenant("north", "North hospital", List.of("NORTH_CT", "NORTH_MR")), t[0]);
      assertEquals(new Tenant("south", "South", List.of()), t[1]);
    }
  }

  /** Per-AE rights, read beside the aeTitles operators' files already have: an AE not listed may do everything. */
  @Test
  void aeRightsAreReadBesideTheAeTitles() {
    Config c = Config.load(null, Map.of(), Map.of("tenants",
        "[{id: north, name: North, aeTitles: [NORTH_CT, NORTH_PACS], aeRights: {NORTH_CT: [store]}}]"));
    Tenant t = c.section("tenants", Tenant[].class)[0];
    assertEquals(java.util.Set.of(Tenant.Right.STORE), t.rights("NORTH_CT"));
    assertEquals(java.util.EnumSet.allOf(Tenant.Right.class), t.rights("NORTH_PACS"));
    assertThrows(RuntimeException.class, () -> Config.load(null, Map.of(), Map.of("tenants",
        "[{id: north, name: North, aeTitles: [NORTH_CT], aeRights: {ELSEWHERE: [store]}}]")).section("tenants", Tenant[].class));
  }

  /** tls is read beside the three fields operators' files already have, and is off where they leave it out. */
  @Test
  void aMoveDestinationIsPlainUnlessItAsksForTls() {
    Tenant t = Config.load(null, Map.of(), Map.of("tenants", "[{id: north, name: North, aeTitles: [NORTH_CT], "
        + "moveDestinations: [{aeTitle: PACS, host: pacs.north.example, port: 2762, tls: true},"
        + " {aeTitle: WARD, host: 10.20.0.5, port: 104}]}]")).section("tenants", Tenant[].class)[0];
    assertEquals(List.of(new Tenant.MoveDestination("PACS", "pacs.north.example", 2762, true),
        new Tenant.MoveDestination("WARD", "10.20.0.5", 104, false)), t.moveDestinations());
  }

  @Test
  void aListInTheFileReplacesTheDefaultList() throws Exception {
    Path file = Files.writeString(tmp.resolve("imago.yaml"), """
        tenants:
          - id: only
            name: The only one
            aeTitles: [ONLY]
        """);
    Tenant[] t = Config.load(file, Map.of(), Map.of()).section("tenants", Tenant[].class);
    assertEquals(List.of(new Tenant("only", "The only one", List.of("ONLY"))), List.of(t));
  }

  @Test
  void anUnknownKeyInTheFileFailsNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("imago.yaml"), """
        node:
          dicomPrt: 104
        """);
    Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> Config.load(file, Map.of(), Map.of()));
    assertTrue(e.getMessage().contains("node.dicomPrt"), e.getMessage());
  }

  @Test
  void anImagoVariableThatNamesNoKeyFailsNamingIt() {
    Config.ConfigException e = assertThrows(Config.ConfigException.class,
        () -> Config.load(null, Map.of("IMAGO_NODE_DICOM_PROT", "104"), Map.of()));
    assertTrue(e.getMessage().contains("IMAGO_NODE_DICOM_PROT"), e.getMessage());
    // whole sections, the launcher's and the commands' own variables, and other programs' are fine
    Config.load(null, Map.of("IMAGO_TENANTS", "[{id: a, name: A, aeTitles: [A]}]", "IMAGO_JAVA_OPTS", "-Xmx1g",
        "IMAGO_TOKEN", "t", "IMAGO_LOG_LEVEL", "DEBUG", "PATH", "/usr/bin"), Map.of());
  }

  @Test
  void anUnknownTopLevelKeyInTheFileFailsNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("imago.yaml"), "storgae:\n  duplicatePolicy: replace\n");
    Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> Config.load(file, Map.of(), Map.of()));
    assertTrue(e.getMessage().contains("'storgae'"), e.getMessage());
  }

  @Test
  void anUnknownKeyInsideAListItemFailsWhenTheSectionIsRead() throws Exception {
    Path file = Files.writeString(tmp.resolve("imago.yaml"), "tenants: [{id: a, name: A, aeTitle: [X]}]\n");
    Config c = Config.load(file, Map.of(), Map.of());
    Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> c.section("tenants", Tenant[].class));
    assertTrue(e.getMessage().contains("aeTitle"), e.getMessage());
  }

  @Test
  void envNameIsImagoPlusThePathInUpperSnakeCase() {
    assertEquals("IMAGO_DATA", Config.envName("data"));
    assertEquals("IMAGO_NODE_DICOM_PORT", Config.envName("node.dicomPort"));
    assertEquals("IMAGO_NODE_AE_TITLE", Config.envName("node.aeTitle"));
    assertEquals("IMAGO_STORAGE_S3_ENDPOINT", Config.envName("storage.s3.endpoint"));
    assertEquals("IMAGO_STORAGE_S3_ACCESS_KEY", Config.envName("storage.s3.accessKey"));
    assertEquals("IMAGO_STORAGE_DB_MAX_POOL_SIZE", Config.envName("storage.db.maxPoolSize"));
    assertEquals("IMAGO_TENANTS", Config.envName("tenants"));
  }

  @Test
  void everyDefaultKeyCanBeSetThroughItsEnvironmentName() {
    Config c = Config.load(null, Map.of(
        Config.envName("storage.db.url"), "jdbc:postgresql://db.example/imago",
        Config.envName("storage.duplicatePolicy"), "replace",
        Config.envName("node.stableQuietPeriod"), "PT1S"), Map.of());
    assertEquals("jdbc:postgresql://db.example/imago", c.section("storage.db.url", String.class));
    assertEquals("replace", c.section("storage.duplicatePolicy", String.class));
    assertEquals(Duration.ofSeconds(1), c.section("node.stableQuietPeriod", Duration.class));
  }

  @Test
  void aMalformedYamlOverrideOfAListFailsNamingTheVariable() {
    Config.ConfigException e = assertThrows(Config.ConfigException.class,
        () -> Config.load(null, Map.of("IMAGO_TENANTS", "[{id: a"), Map.of()));
    assertTrue(e.getMessage().contains("IMAGO_TENANTS"), e.getMessage());
  }
}
