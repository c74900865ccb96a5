package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the tests' browser scripts (Node under {@code app/src/test/resources}, driving
 * Debian's Chromium through playwright-core) with its environment and reads the one JSON object it
 * prints. What it printed stays in {@code out}: {@code <name>-result.json} and
 * {@code <name>-stderr.log}, beside the screenshots it takes there.
 */
final class BrowserScript {
  private BrowserScript() {}

  static JsonNode run(String resource, Path out, String name, Duration limit, Map<String, String> env) throws Exception {
    Files.createDirectories(out);
    Path script = Path.of(BrowserScript.class.getResource(resource).toURI());
    Path result = out.resolve(name + "-result.json");
    Path stderr = out.resolve(name + "-stderr.log");
    ProcessBuilder pb = new ProcessBuilder("node", script.toString()).redirectError(stderr.toFile())
        .redirectOutput(result.toFile());
    pb.environment().putAll(Map.of("PLAYWRIGHT_CORE", FseViewerTest.playwright().toString(), "CHROMIUM", "/usr/bin/chromium",
        "OUT_DIR", out.toString()));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("the browser script " + resource + " did not finish in " + limit + "; see " + out);
    }
    assertEquals(0, p.exitValue(), resource + " failed: " + Files.readString(stderr, StandardCharsets.UTF_8));
    return new ObjectMapper().readTree(Files.readString(result, StandardCharsets.UTF_8));
  }
}
