package imago.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cluster {@code scripts/cluster.sh} runs (PostgreSQL, an S3 server, two serve nodes, two
 * workers, haproxy), on ports of its own and in a folder of its own, driven through the script
 * exactly as README tells an operator to. The cluster tests live in the bench module because the
 * script starts the built launcher, which exists only once the app module is packaged.
 */
final class LocalCluster implements AutoCloseable {
  static final int DICOM_PORT = 11212;
  static final int HTTP_PORT = 8180;
  static final int NODE_DICOM_BASE = 11220;
  static final int NODE_HTTP_BASE = 8190;
  static final int PG_PORT = 15532;
  static final int S3_PORT = 19100;

  /** What one run of the script did. */
  record Run(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  private final Path root;
  private final Path dir;
  private final Map<String, String> env = new LinkedHashMap<>();

  LocalCluster(Path dir, Path config) {
    this.root = Path.of("").toAbsolutePath().getParent(); // surefire runs in bench/
    this.dir = dir;
    env.put("CLUSTER_DIR", dir.toString());
    env.put("CLUSTER_DICOM_PORT", Integer.toString(DICOM_PORT));
    env.put("CLUSTER_HTTP_PORT", Integer.toString(HTTP_PORT));
    env.put("CLUSTER_NODE_DICOM_BASE", Integer.toString(NODE_DICOM_BASE));
    env.put("CLUSTER_NODE_HTTP_BASE", Integer.toString(NODE_HTTP_BASE));
    env.put("CLUSTER_PG_PORT", Integer.toString(PG_PORT));
    env.put("CLUSTER_S3_PORT", Integer.toString(S3_PORT));
    env.put("IMAGO_CONFIG", config.toString());
  }

  Path root() {
    return root;
  }

  Path dir() {
    return dir;
  }

  Run script(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of(root.resolve("scripts/cluster.sh").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
    Map<String, String> e = pb.environment();
    e.keySet().removeIf(k -> k.startsWith("IMAGO_") || k.startsWith("CLUSTER_"));
    e.putAll(env);
    Path out = Files.createTempFile("cluster-", ".log");
    pb.redirectOutput(out.toFile());
    Process p = pb.start();
    boolean done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    Files.deleteIfExists(out);
    return new Run(done ? p.exitValue() : 124, output);
  }

  /** Runs the script and fails with its output when it fails. */
  String must(Duration timeout, String... args) throws IOException, InterruptedException {
    Run r = script(timeout, args);
    if (!r.ok()) throw new IllegalStateException("scripts/cluster.sh " + String.join(" ", args) + " -> exit "
        + r.exitCode() + "\n" + r.output());
    return r.output();
  }

  void up() throws IOException, InterruptedException {
    must(Duration.ofMinutes(6), "up");
  }

  void kill(String component) throws IOException, InterruptedException {
    must(Duration.ofSeconds(60), "kill", component);
  }

  void start(String component) throws IOException, InterruptedException {
    must(Duration.ofMinutes(4), "start", component);
  }

  String token(String tenant, String role) throws IOException, InterruptedException {
    String out = must(Duration.ofMinutes(2), "token", "--tenant", tenant, "--role", role);
    // the last JWT printed (a build before it may have left terminal escapes on the same line)
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("eyJ[A-Za-z0-9_-]*\\.eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+").matcher(out);
    String token = null;
    while (m.find()) token = m.group();
    if (token == null) throw new IllegalStateException("no token in: " + out);
    return token;
  }

  /** The environment a component runs with, secrets included. */
  Map<String, String> env(String component) throws IOException, InterruptedException {
    Map<String, String> vars = new HashMap<>();
    for (String line : must(Duration.ofSeconds(60), "env", component, "--reveal").split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith("#")) vars.put(line.substring(0, eq).strip(), unquote(line.substring(eq + 1).strip()));
    }
    return vars;
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  private Map<String, String> serveEnv;

  /** A connection to the cluster's PostgreSQL, as the nodes open it. */
  Connection sql() throws IOException, InterruptedException, SQLException {
    if (serveEnv == null) serveEnv = env("serve-1"); // the same for the cluster's life
    Map<String, String> e = serveEnv;
    return DriverManager.getConnection(e.get("IMAGO_STORAGE_DB_URL"), e.get("IMAGO_STORAGE_DB_USER"),
        e.get("IMAGO_STORAGE_DB_PASSWORD"));
  }

  /** The pid a component runs as (its pid file). */
  long pid(String component) throws IOException {
    return Long.parseLong(Files.readString(dir.resolve("run").resolve(component + ".pid")).strip());
  }

  @Override
  public void close() throws Exception {
    script(Duration.ofMinutes(2), "down");
  }
}
