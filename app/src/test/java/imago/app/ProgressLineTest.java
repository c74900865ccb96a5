package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A long command's progress line: the bar, the time left from the rate so far, and the time it took. */
class ProgressLineTest {
  private final ProgressLine line = new ProgressLine(new PrintStream(new ByteArrayOutputStream()), "files", false);

  @Test
  void theTimeLeftFollowsTheRateSoFar() {
    assertEquals("[............] 0/10 files  3 s so far  listing".replace("............", ".".repeat(24)),
        line.format(0, 10, "listing", 3_000_000_000L));
    assertEquals("[" + "#".repeat(6) + ".".repeat(18) + "] 25/100 files  ~30 s left",
        line.format(25, 100, null, 10_000_000_000L));
    assertEquals("[" + "#".repeat(12) + ".".repeat(12) + "] 500/1000 files  ~2 min 05 s left  stored 500",
        line.format(500, 1000, "stored 500", 125_000_000_000L));
    assertEquals("[" + "#".repeat(24) + "] 7/7 files  done in 1 h 02 min", line.format(7, 7, "", 3_720_000_000_000L));
  }

  @Test
  void offATerminalALineIsPrintedWhenSomethingChangesAndAtTheEnd() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressLine log = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), "jobs", false);
    log.show(0, 2, "queued");
    log.show(0, 2, "queued"); // nothing new: nothing printed
    log.show(1, 2, "running"); // within the quiet time: not printed
    log.show(2, 2, "");
    log.end();
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(2, lines.length, String.join("\n", lines));
    assertTrue(lines[1].startsWith("[" + "#".repeat(24) + "] 2/2 jobs  done in "), lines[1]);
  }
}
