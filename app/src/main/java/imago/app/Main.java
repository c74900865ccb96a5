package imago.app;

import imago.core.config.Config;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.storage.StorageConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** The {@code imago} command line: serve, worker, import, reindex, migrate-objects, s3, token, models, inference, research, config. */
public final class Main {
  private static final String USAGE = Usage.all();

  private Main() {}

  public static void main(String[] args) throws Exception {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) { // imago <command> --help
      String about = Usage.of(args[0]);
      System.out.print(about.isEmpty() ? USAGE : "usage: imago <command> [options]\n" + about);
      System.exit(0);
    }
    try {
      System.exit(run(args));
    } catch (Config.ConfigException | IllegalArgumentException e) {
      System.err.println("imago: " + e.getMessage());
      System.exit(2);
    }
  }

  static int run(String[] args) throws Exception {
    String command = args[0];
    Options options = Options.parse(args);
    Config config = Config.fromEnvironment(Map.of());
    switch (command) {
      case "serve" -> {
        Imago imago = Imago.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          imago.close();
          stopped.countDown();
        }, "imago-shutdown"));
        String ae = config.section("node", imago.node.NodeConfig.class).aeTitle();
        System.out.printf("Imago is running: DICOM TLS %s@%d, HTTPS https://localhost:%d; on this machine also DICOM "
            + "%s@127.0.0.1:%d and HTTP http://localhost:%d (Ctrl-C stops it)%n", ae, imago.dicomTlsPort(), imago.httpsPort(),
            ae, imago.dicomPort(), imago.httpPort());
        imago.tls().generatedBy().ifPresent(ca -> System.out.println("The HTTPS and DICOM TLS certificate is from Imago's "
            + "local CA; clients trust it with " + ca + " (hospitals: ./imago tls client-cert)"));
        stopped.await();
        return 0;
      }
      case "worker" -> {
        WorkerProcess worker = WorkerProcess.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          worker.close();
          stopped.countDown();
        }, "imago-shutdown"));
        System.out.println("Imago worker is running: it claims inference jobs from the shared queue (Ctrl-C stops it)");
        stopped.await();
        return 0;
      }
      case "import" -> {
        if (options.positional.isEmpty()) throw new IllegalArgumentException("import needs a folder\n" + USAGE);
        return ImportCommand.run(config, userPath(options.positional.get(0)), options.get("tenant"),
            options.integer("threads", 0));
      }
      case "reindex" -> {
        return ReindexCommand.run(config, options.get("tenant"), options.integer("threads", 0), System.out, System.err);
      }
      case "migrate-objects" -> {
        String to = options.require("to");
        StorageConfig.Backend backend;
        try {
          backend = StorageConfig.Backend.valueOf(to.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--to is fs or s3, not '" + to + "'");
        }
        return MigrateCommand.run(config, backend, options.integer("threads", 0), System.out, System.err);
      }
      case "s3" -> {
        return S3Command.run(config, options.integer("port", 0));
      }
      case "token" -> {
        if (!options.positional.isEmpty() && options.positional.get(0).equals("revoke")) {
          if (options.positional.size() != 2) throw new IllegalArgumentException("token revoke needs a token or its jti\n" + USAGE);
          System.out.println("revoked " + TokenCommand.revoke(config, options.positional.get(1)));
          return 0;
        }
        String tenant = options.require("tenant");
        Caller.Role role = Caller.Role.parse(options.require("role"));
        Duration ttl = parseDuration(options.get("ttl") == null ? "12h" : options.get("ttl"));
        System.out.println(TokenCommand.mint(config, tenant, role, ttl, options.get("subject")));
        return 0;
      }
      case "models" -> {
        return ModelsCommand.run(config, options.positional, options.named, System.out);
      }
      case "inference" -> {
        return InferenceCommand.run(config, options.positional, options.named,
            options.repeated.getOrDefault("cohort", List.of()), System.out);
      }
      case "research" -> {
        return ResearchCommand.run(config, options.positional, options.named, options.repeated, System.out);
      }
      case "demo" -> {
        return DemoCommand.run(config, options.named, System.out);
      }
      case "status" -> {
        return StatusCommand.run(config, options.named, System.out);
      }
      case "synthetic" -> {
        if (options.positional.isEmpty()) throw new IllegalArgumentException("synthetic needs a folder\n" + USAGE);
        int studies = options.integer("studies", 1);
        int size = options.integer("size", 256);
        SyntheticCt.Spec spec = SyntheticCt.Spec.of(studies, 1, options.integer("instances", 4)).withSize(size, size)
            .withSeed(options.integer("seed", (int) (System.currentTimeMillis() & 0x7fffffff))).withPatientPrefix("DEMO");
        java.nio.file.Path dir = userPath(options.positional.get(0));
        int n = SyntheticCt.write(spec, dir).size();
        System.out.printf("wrote %d synthetic CT instances under %s%n", n, dir);
        for (int i = 1; i <= studies; i++) System.out.println("  study " + SyntheticCt.studyInstanceUid(spec, i));
        return 0;
      }
      case "tls" -> {
        if (options.positional.size() != 1 || !options.positional.get(0).equals("client-cert")) {
          throw new IllegalArgumentException("tls needs a subcommand: client-cert\n" + USAGE);
        }
        return TlsCommand.clientCert(config, options.require("tenant"), options.require("ae"), userPath(options.require("out")),
            System.out);
      }
      case "config" -> {
        System.out.print(config.toYaml());
        return 0;
      }
      default -> throw new IllegalArgumentException("unknown command '" + command + "'\n" + USAGE);
    }
  }

  /**
   * A path the user typed, relative to the directory the command was started from: the launcher
   * runs Java from the repository and passes that directory as {@code imago.cwd}.
   */
  static java.nio.file.Path userPath(String typed) {
    String from = System.getProperty("imago.cwd");
    return from == null ? java.nio.file.Path.of(typed) : java.nio.file.Path.of(from).resolve(typed).normalize();
  }

  /** "90s", "15m", "12h", "30d", "1y", or ISO-8601 ("P30D"). */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("p")) return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    long n = Long.parseLong(t.substring(0, t.length() - 1));
    return switch (t.charAt(t.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      case 'd' -> Duration.ofDays(n);
      case 'y' -> Duration.ofDays(365 * n);
      default -> throw new IllegalArgumentException("duration like 30d, 12h or P30D expected: " + text);
    };
  }

  /** --key value options and positional arguments after the command. */
  private record Options(Map<String, String> named, List<String> positional, Map<String, List<String>> repeated) {
    /** Options that take no value. */
    static final java.util.Set<String> FLAGS = java.util.Set.of("no-wait", "force", "nifti");

    static Options parse(String[] args) {
      Map<String, String> named = new HashMap<>();
      Map<String, List<String>> repeated = new HashMap<>();
      List<String> positional = new ArrayList<>();
      for (int i = 1; i < args.length; i++) {
        if (args[i].startsWith("--")) {
          String key = args[i].substring(2);
          if (FLAGS.contains(key)) {
            named.put(key, "true");
            continue;
          }
          if (i + 1 >= args.length) throw new IllegalArgumentException(args[i] + " needs a value");
          named.put(key, args[++i]);
          repeated.computeIfAbsent(key, k -> new ArrayList<>()).add(args[i]);
        } else {
          positional.add(args[i]);
        }
      }
      return new Options(named, positional, repeated);
    }

    String get(String key) {
      return named.get(key);
    }

    String require(String key) {
      String v = named.get(key);
      if (v == null) throw new IllegalArgumentException("--" + key + " is required\n" + USAGE);
      return v;
    }

    int integer(String key, int fallback) {
      String v = named.get(key);
      return v == null ? fallback : Integer.parseInt(v);
    }
  }
}
