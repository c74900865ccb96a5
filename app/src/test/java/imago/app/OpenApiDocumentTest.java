package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document Imago serves is whole: every REST family is in it, every path parameter
 * is declared by every operation on that path, and every reference resolves. (It is written by
 * hand; it is not yet checked against the routers themselves: see issue 12.)
 */
class OpenApiDocumentTest {
  private static final Pattern PARAMETER = Pattern.compile("\\{(\\w+)}");
  private static final Pattern REFERENCE = Pattern.compile("\"\\$ref\"\\s*:\\s*\"#/([^\"]+)\"");

  @Test
  void everyRestFamilyIsDescribedAndTheDocumentHangsTogether() throws Exception {
    String text;
    try (InputStream in = OpenApiDocumentTest.class.getResourceAsStream("/imago/app/openapi.json")) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    JsonObject doc = new JsonObject(text);
    JsonObject paths = doc.getJsonObject("paths");
    for (String family : List.of("/models", "/inference/jobs", "/inference/runs", "/inference/studies/{study}/ai-results",
        "/fse/links", "/admin/shares", "/admin/audit", "/dicomweb/studies", "/dicomweb/series", "/dicomweb/instances",
        "/l/{token}/fhir", "/IHEInvokeImageDisplay", "/wado")) {
      assertTrue(paths.fieldNames().stream().anyMatch(p -> p.startsWith(family)), "no path for " + family);
    }
    List<String> problems = new ArrayList<>();
    for (String path : paths.fieldNames()) {
      Set<String> needed = new TreeSet<>();
      for (Matcher m = PARAMETER.matcher(path); m.find(); ) needed.add(m.group(1));
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject op = item.getJsonObject(method);
        Set<String> declared = new TreeSet<>();
        for (Object o : op.getJsonArray("parameters", new JsonArray())) {
          JsonObject p = (JsonObject) o;
          if ("path".equals(p.getString("in"))) declared.add(p.getString("name"));
        }
        if (!declared.equals(needed)) problems.add(method + " " + path + ": path parameters " + declared + ", needs " + needed);
        if (op.getJsonObject("responses", new JsonObject()).isEmpty()) problems.add(method + " " + path + ": no responses");
      }
    }
    for (Matcher m = REFERENCE.matcher(text); m.find(); ) {
      Object target = doc;
      for (String part : m.group(1).split("/")) target = target instanceof JsonObject o ? o.getValue(part) : null;
      if (target == null) problems.add("unresolved $ref #/" + m.group(1));
    }
    assertEquals(List.of(), problems);
  }
}
