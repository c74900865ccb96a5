package imago.core.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Imago's configuration: the built-in defaults ({@code imago-defaults.yaml}), overlaid by the
 * config file, then by environment variables ({@code IMAGO_NODE_DICOM_PORT} for
 * {@code node.dicomPort}), then by explicit overrides (tests). Only keys that exist in the
 * defaults can be set, so a typo fails loudly instead of being ignored.
 */
public final class Config {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .registerModule(new JavaTimeModule())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  private final ObjectNode tree;

  private Config(ObjectNode tree) {
    this.tree = tree;
  }

  /** Loads defaults, then {@code file} if it exists, then {@code env}, then {@code overrides}. */
  public static Config load(Path file, Map<String, String> env, Map<String, String> overrides) {
    ObjectNode tree = defaults();
    if (file != null && Files.isRegularFile(file)) {
      try {
        JsonNode user = YAML.readTree(file.toFile());
        if (user != null && !user.isNull()) merge(tree, user, "");
      } catch (IOException e) {
        throw new ConfigException("cannot read " + file + ": " + e.getMessage());
      }
    }
    requireKnownVariables(tree, env);
    overlay(tree, "", env, true);
    overlay(tree, "", overrides, false);
    for (String key : overrides.keySet()) {
      if (!hasPath(tree, key)) throw new ConfigException("unknown configuration key '" + key + "'");
    }
    return new Config(tree);
  }

  /** The standard way: IMAGO_CONFIG or ./imago.yaml, the process environment. */
  public static Config fromEnvironment(Map<String, String> overrides) {
    Map<String, String> env = System.getenv();
    Path file = Path.of(env.getOrDefault("IMAGO_CONFIG", "imago.yaml"));
    return load(file, env, overrides);
  }

  private static ObjectNode defaults() {
    try (InputStream in = Config.class.getResourceAsStream("/imago-defaults.yaml")) {
      return (ObjectNode) YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void merge(ObjectNode base, JsonNode user, String path) {
    Iterator<Map.Entry<String, JsonNode>> fields = user.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
      JsonNode current = base.get(f.getKey());
      if (current == null) throw new ConfigException("unknown configuration key '" + key + "'");
      if (current.isObject() && f.getValue().isObject()) {
        merge((ObjectNode) current, f.getValue(), key);
      } else {
        base.set(f.getKey(), f.getValue());
      }
    }
  }

  /** Variables named IMAGO_* that are not configuration keys: read by the launcher and the commands. */
  public static final Set<String> OTHER_VARIABLES = Set.of("IMAGO_CONFIG", "IMAGO_JAVA_OPTS",
      "IMAGO_LOG_LEVEL", "IMAGO_TOKEN", "IMAGO_VERBOSE");

  /** An IMAGO_* variable that names no key is a mistake (a typo would otherwise be ignored silently). */
  private static void requireKnownVariables(ObjectNode tree, Map<String, String> env) {
    Set<String> known = new TreeSet<>(OTHER_VARIABLES);
    collectEnvNames(tree, "", known);
    for (String name : env.keySet()) {
      if (name.startsWith("IMAGO_") && !known.contains(name)) {
        throw new ConfigException("environment variable " + name + " names no configuration key (`./imago config`"
            + " lists them; " + envName("node.dicomPort") + " sets node.dicomPort)");
      }
    }
  }

  private static void collectEnvNames(JsonNode node, String path, Set<String> into) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
      into.add(envName(key));
      if (f.getValue().isObject()) collectEnvNames(f.getValue(), key, into);
    }
  }

  /** Env: IMAGO_A_B_C for a.b.c (camelCase split); overrides: the dotted path itself. */
  private static void overlay(ObjectNode node, String path, Map<String, String> values, boolean env) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
      String name = env ? envName(key) : key;
      String value = values.get(name);
      if (value == null && f.getValue().isObject()) {
        overlay((ObjectNode) f.getValue(), key, values, env);
      } else if (value != null) {
        node.set(f.getKey(), parseValue(value, f.getValue(), name));
      }
    }
  }

  private static boolean hasPath(JsonNode tree, String path) {
    JsonNode node = tree;
    for (String part : path.split("\\.")) {
      node = node == null ? null : node.get(part);
    }
    return node != null;
  }

  private static JsonNode parseValue(String value, JsonNode current, String name) {
    if (current.isContainerNode()) {
      try {
        return YAML.readTree(value);
      } catch (IOException e) {
        throw new ConfigException(name + ": expected YAML/JSON, got '" + value + "'");
      }
    }
    return TextNode.valueOf(value);
  }

  /** {@code node.dicomPort} -> {@code IMAGO_NODE_DICOM_PORT}; {@code data} -> {@code IMAGO_DATA}. */
  public static String envName(String path) {
    StringBuilder b = new StringBuilder("IMAGO_");
    for (char c : path.toCharArray()) {
      if (c == '.') b.append('_');
      else if (Character.isUpperCase(c)) b.append('_').append(c);
      else b.append(Character.toUpperCase(c));
    }
    return b.toString();
  }

  /** Binds one section (a dotted path) to its module's immutable config record. */
  public <T> T section(String path, Class<T> type) {
    JsonNode node = tree;
    for (String part : path.split("\\.")) {
      node = node.get(part);
      if (node == null) throw new ConfigException("no configuration section '" + path + "'");
    }
    try {
      return YAML.treeToValue(node, type);
    } catch (IOException e) {
      throw new ConfigException("configuration '" + path + "': " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  public Path dataDir() {
    return Path.of(tree.get("data").asText()).toAbsolutePath().normalize();
  }

  /**
   * The effective configuration as YAML, for people ({@code imago config}): every value that is a
   * secret (a key named ...secret, ...password, ...secretKey or ...privateKey, like auth.jwtSecret,
   * storage.s3.secretKey, a webhook's secret, the database password) shows as {@code "***"} when
   * set. Public keys and access key ids (rs256PublicKey, accessKey) are not secrets and show as they are.
   */
  public String toYaml() {
    try {
      return YAML.writeValueAsString(masked(tree.deepCopy()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode masked(JsonNode node) {
    if (node instanceof ObjectNode object) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (secret(field.getKey()) && field.getValue().isValueNode() && !field.getValue().asText().isEmpty()) {
          field.setValue(TextNode.valueOf("***"));
        } else {
          masked(field.getValue());
        }
      }
    } else if (node instanceof ArrayNode array) {
      array.forEach(Config::masked);
    }
    return node;
  }

  static boolean secret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.endsWith("secret") || k.endsWith("password") || k.endsWith("secretkey") || k.endsWith("privatekey");
  }

  /** A configuration mistake, reported to the operator as one readable line. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message);
    }
  }
}
