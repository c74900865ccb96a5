package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.web.Routes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document Imago serves is whole: every REST family is in it, every path parameter
 * is declared by every operation on that path, and every reference resolves; and it is the API
 * Imago serves: every route the server declares is described, and every operation described is
 * a route (the document is written by hand, this keeps it true).
 */
class OpenApiDocumentTest {
  private static final Pattern PARAMETER = Pattern.compile("\\{(\\w+)}");
  private static final Pattern REFERENCE = Pattern.compile("\"\\$ref\"\\s*:\\s*\"#/([^\"]+)\"");

  /** Under a link, the DICOMweb routes are the ones at /dicomweb: described once, there. */
  private static final String LINK_DICOMWEB = "/l/{}/dicomweb/";

  private static String text() throws Exception {
    try (InputStream in = OpenApiDocumentTest.class.getResourceAsStream("/imago/app/openapi.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * {@code get /jobs/{}}: parameter names and a trailing slash aside (a family's root answers with
   * and without it), the way both sides can be compared.
   */
  private static String operation(String method, String path) {
    return method.toLowerCase(Locale.ROOT) + " " + PARAMETER.matcher(path).replaceAll("{}").replaceAll("(.)/$", "$1");
  }

  @Test
  void theDocumentDescribesExactlyTheRoutesImagoServes(@TempDir Path data) throws Exception {
    Set<String> served = new TreeSet<>();
    try (TestImago node = TestImago.start(data)) {
      for (Routes.Endpoint e : node.imago.endpoints()) {
        String op = operation(e.method().name(), e.path());
        int link = op.indexOf(LINK_DICOMWEB);
        served.add(link < 0 ? op : op.substring(0, link) + "/dicomweb/" + op.substring(link + LINK_DICOMWEB.length()));
      }
    }
    JsonObject paths = new JsonObject(text()).getJsonObject("paths");
    Set<String> described = new TreeSet<>();
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (!path.startsWith(LINK_DICOMWEB.replace("{}", "{token}"))) described.add(operation(method, path));
      }
    }
    Set<String> undocumented = new TreeSet<>(served);
    undocumented.removeAll(described);
    Set<String> unserved = new TreeSet<>(described);
    unserved.removeAll(served);
    assertEquals(Set.of(), undocumented, "routes missing from openapi.json");
    assertEquals(Set.of(), unserved, "operations in openapi.json that no route serves");
  }

  @Test
  void everyRestFamilyIsDescribedAndTheDocumentHangsTogether() throws Exception {
    String text = text();
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
