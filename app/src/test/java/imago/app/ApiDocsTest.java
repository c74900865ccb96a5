package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api-docs/} in a real browser: Swagger UI shows Imago's OpenAPI document, every REST family in it. */
class ApiDocsTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  @TempDir Path tmp;

  @Test
  void theApiDocumentationPageListsTheOperationsOfEveryRestFamily() throws Exception {
    Path playwright = Path.of(System.getProperty("imago.repo.root", "..")).resolve(".cache/playwright/node_modules/playwright-core");
    assertTrue(Files.isDirectory(playwright) && Files.isExecutable(CHROMIUM),
        "playwright-core and chromium are missing: run scripts/setup.sh --test");
    try (TestImago node = TestImago.start(tmp.resolve("data"))) {
      HttpResponse<String> initializer = node.send(HttpRequest.newBuilder(URI.create(node.baseUrl()
          + "/api-docs/swagger-initializer.js")).build());
      assertEquals(200, initializer.statusCode(), "swagger-ui-dist is missing: run scripts/setup.sh --viewer");
      assertTrue(initializer.body().contains("openapi.json"), "the page loads Imago's document, not the petstore");

      JsonNode run = BrowserScript.run("/apidocs/open-api-docs.cjs", tmp, "api-docs", Duration.ofMinutes(2), Map.of(
          "CHROMIUM", CHROMIUM.toString(), "IMAGO_URL", node.baseUrl()));
      JsonObject result = new JsonObject(run.toString());
      assertEquals(new JsonArray(), result.getJsonArray("errors"), "script errors on the page");
      assertTrue(result.getString("title").contains("Imago"), result.encode());
      List<String> paths = result.getJsonArray("paths").stream().map(String::valueOf).toList();
      for (String family : List.of("/models", "/inference/runs", "/fse/links", "/admin/shares", "/dicomweb/studies")) {
        assertTrue(paths.stream().anyMatch(pth -> pth.startsWith(family)), family + " not shown: " + paths);
      }
    }
  }
}
