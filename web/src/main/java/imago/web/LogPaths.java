package imago.web;

import java.util.function.UnaryOperator;

/**
 * How request paths are written to logs: the one place redaction happens. A module whose paths
 * carry secrets (FSE capability links carry their token in the path) registers its redaction at
 * start-up, and every log line that names a path goes through {@link #redact}.
 */
public final class LogPaths {
  private static volatile UnaryOperator<String> redaction = UnaryOperator.identity();

  private LogPaths() {}

  /** Adds a redaction, applied after those registered before it. */
  public static synchronized void register(UnaryOperator<String> more) {
    UnaryOperator<String> before = redaction;
    redaction = path -> more.apply(before.apply(path));
  }

  /** {@code path} as it may appear in a log. */
  public static String redact(String path) {
    return path == null ? null : redaction.apply(path);
  }
}
