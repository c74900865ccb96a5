package imago.app;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One progress line for a long-running command: a bar, done/total, a detail, and the time left
 * estimated from the rate so far. On a terminal it redraws one line; otherwise (a log, a pipe) it
 * prints a line when something changed and at most every few seconds.
 */
final class ProgressLine {
  private static final long QUIET_NANOS = 5_000_000_000L;
  private final PrintStream out;
  private final String unit;
  private final boolean terminal;
  private final long start = System.nanoTime();
  private long lastPrinted;
  private String lastLine = "";

  ProgressLine(PrintStream out, String unit) {
    this(out, unit, System.console() != null);
  }

  ProgressLine(PrintStream out, String unit, boolean terminal) {
    this.out = out;
    this.unit = unit;
    this.terminal = terminal;
  }

  /** Shows {@code done} of {@code total}; {@code detail} says what is going on now. */
  synchronized void show(long done, long total, String detail) {
    String line = format(done, total, detail, System.nanoTime() - start);
    long now = System.nanoTime();
    if (terminal) {
      out.print("\r" + line + " ".repeat(Math.max(0, lastLine.length() - line.length())));
    } else if (!line.equals(lastLine) && (now - lastPrinted > QUIET_NANOS || done == total)) {
      out.println(line);
      lastPrinted = now;
    }
    lastLine = line;
    out.flush();
  }

  /** Ends the line (on a terminal) so that what follows starts on its own. */
  synchronized void end() {
    if (terminal && !lastLine.isEmpty()) out.println();
    lastLine = "";
  }

  /** Seconds since this line was made. */
  double elapsedSeconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  String format(long done, long total, String detail, long elapsedNanos) {
    int width = 24;
    int filled = total <= 0 ? 0 : (int) Math.min(width, width * done / total);
    double seconds = elapsedNanos / 1e9;
    String left;
    if (total > 0 && done >= total) {
      left = String.format(Locale.ROOT, "done in %s", duration(seconds));
    } else if (done > 0 && total > 0) {
      left = "~" + duration(seconds / done * (total - done)) + " left";
    } else {
      left = duration(seconds) + " so far";
    }
    return String.format(Locale.ROOT, "[%s%s] %d/%d %s  %s  %s", "#".repeat(filled), ".".repeat(width - filled), done,
        total, unit, left, detail == null ? "" : detail).stripTrailing();
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s / 60) % 60);
  }
}
