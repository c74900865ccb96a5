package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import imago.core.config.Config;
import imago.core.tenant.Caller;
import imago.core.testkit.Eventually;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A newcomer's first minutes (issue 17): {@code imago demo} beside a running Imago registers the
 * demo models, pushes its studies over DIMSE, waits for their AI results and prints three
 * addresses that answer; {@code imago status} prints the overview; and in headless Chromium the
 * console signs in and shows each page with that run's data: plots drawn with labelled axes,
 * numbers equal to the API's, a radiologist seeing no page or button beyond their role.
 * Screenshots stay in target/console.
 */
class ConsoleTest {
  private static final Path OUT = Path.of("target", "console").toAbsolutePath();
  private static final Map<String, String> EXTRA = Map.of("console.sampleInterval", "PT1S", "inference.profileBatches", "false");

  @TempDir static Path tmp;
  static TestImago imago;
  static Config config;
  static String demoOutput;
  static int demoExit;

  @BeforeAll
  static void startAndRunTheDemo() throws Exception {
    Path data = tmp.resolve("data");
    imago = TestImago.start(data, EXTRA);
    Map<String, String> o = new HashMap<>(TestImago.overrides(data));
    o.putAll(EXTRA);
    config = Config.load(null, Map.of(), o);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    demoExit = DemoCommand.run(config, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8));
    demoOutput = out.toString(StandardCharsets.UTF_8);
    Files.createDirectories(OUT);
    Files.writeString(OUT.resolve("demo.log"), demoOutput);
  }

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  @Test
  void theDemoPushesItsStudiesGetsEveryResultAndPrintsThreeAddressesThatAnswer() throws Exception {
    assertEquals(0, demoExit, demoOutput);
    for (String model : List.of("demo-lesion-cls", "demo-lesion-det", "demo-nodule-seg")) {
      assertTrue(demoOutput.contains(model + " "), model + " registered and active:\n" + demoOutput);
    }
    assertTrue(demoOutput.contains("5 AI results"), demoOutput);
    assertTrue(demoOutput.contains("nodule"), "the segmenter's finding is summarised:\n" + demoOutput);
    List<String> urls = new ArrayList<>();
    Matcher m = Pattern.compile("https?://\\S+").matcher(demoOutput);
    while (m.find()) urls.add(m.group());
    assertEquals(3, Set.copyOf(urls).size(), demoOutput);
    HttpClient browserLike = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    for (String url : urls) {
      HttpResponse<String> r = browserLike.send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), url);
      assertTrue(r.body().toLowerCase().contains("<html"), url + " is a page");
    }
    HttpResponse<Void> bare = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/console"))
        .build(), HttpResponse.BodyHandlers.discarding());
    assertEquals(301, bare.statusCode(), "the console's address without its slash");
    assertEquals("console/", bare.headers().firstValue("Location").orElse(""));
    // the CT's segmentation and both radiographs' reports are in the archive as DICOM
    JsonArray sr = new JsonArray(imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/dicomweb/series?Modality=SR"))
        .header("Authorization", "Bearer " + imago.token("demo", Caller.Role.ADMIN)).build()).body());
    assertTrue(sr.size() >= 3, "one report per classification, detection and segmentation job at least: " + sr.size());
  }

  @Test
  void statusPrintsTheOverviewForATerminal() throws Exception {
    awaitOverview();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, StatusCommand.run(config, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8)));
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("every hospital"), text);
    assertTrue(text.matches("(?s).*archive\\s+3 studies, 2\\d instances.*"),
        "the CT's 16 slices, two radiographs and the results the jobs stored:\n" + text);
    assertTrue(text.contains("Images inferred per model"), text);
    assertTrue(text.matches("(?s).*nodes\\n\\s+\\S+\\s+serve\\s+healthy.*"), text);
  }

  @Test
  void theConsoleShowsEveryPageWithThisRunsDataAndNothingBeyondARolesRights() throws Exception {
    JsonObject api = awaitOverview();
    String ct = studyUid("CT");
    JsonNode run = browse(Map.of("ADMIN_TOKEN", imago.token("demo", Caller.Role.ADMIN),
        "RADIOLOGIST_TOKEN", imago.token("demo", Caller.Role.RADIOLOGIST), "STUDY_UID", ct));
    assertFalse(run.has("failed"), run.toString());
    assertEquals(0, run.get("pageErrors").size(), run.get("pageErrors").toString());

    JsonNode signIn = run.at("/steps/signInPage");
    assertTrue(signIn.get("url").asText().endsWith("/console/"), "/ opens the console: " + signIn);
    assertTrue(signIn.get("text").asText().contains("sign in"), signIn.toString());

    JsonNode overview = run.at("/steps/overview");
    assertEquals(List.of("overview", "studies", "models", "research", "links", "audit"), texts(overview.get("nav")));
    Set<String> needData = Set.of("received", "storage", "archive", "images", "latency", "jobs", "queue");
    int drawn = 0;
    for (JsonNode plot : overview.get("plots")) {
      String id = plot.get("id").asText();
      assertEquals("time (this browser's zone)", plot.get("xLabel").asText(), id);
      assertFalse(plot.get("yLabel").asText().isEmpty(), id);
      if (needData.contains(id)) {
        assertTrue(plot.get("series").asInt() > 0, id + " has data: " + plot);
        assertTrue(plot.get("canvas").asBoolean() && plot.get("drawnPixels").asInt() > 20, id + " is drawn: " + plot);
        assertFalse(plot.get("legend").isEmpty(), id + " names its lines");
        drawn++;
      }
    }
    assertEquals(needData.size(), drawn, overview.get("plots").toString());
    JsonNode pageApi = overview.get("api");
    for (JsonNode n : overview.get("numbers")) {
      assertEquals("/admin/overview?range=1h", n.get("api").asText(), "every number links to the call that gives it: " + n);
    }
    for (String field : List.of("studies", "instances", "storageBytes", "jobsQueued", "deliveriesPending")) {
      JsonNode shown = number(overview.get("numbers"), "figures." + field);
      assertEquals(pageApi.at("/figures/" + field).asText(), shown.get("value").asText(), field);
      assertEquals(api.getJsonObject("figures").getValue(field).toString(), shown.get("value").asText(), field + " as the test sees it");
    }
    assertEquals("3", number(overview.get("numbers"), "figures.studies").get("text").asText());
    assertTrue(overview.get("nodes").get(0).asText().contains("serve"), overview.get("nodes").toString());
    assertTrue(run.at("/steps/apiCall/request").asText().contains("/admin/overview?range=1h"));
    assertTrue(run.at("/steps/apiCall/response").asText().contains("\"studies\": 3"), run.at("/steps/apiCall").toString());

    JsonNode studies = run.at("/steps/studies");
    assertEquals(3, studies.get("rows").size(), studies.toString());
    assertTrue(studies.get("viewerHref").asText().endsWith("/viewer/viewer?StudyInstanceUIDs=" + ct + "#research="),
        "the clinical view, whatever research view the tab had open: " + studies);
    assertTrue(studies.get("aiResults").asText().contains("demo-nodule-seg 1.0.0"), studies.toString());
    assertTrue(studies.get("aiResults").asText().contains("voxels"), studies.toString());
    assertTrue(studies.get("jobs").asText().contains("done"), studies.toString());

    JsonNode models = run.at("/steps/models");
    assertEquals(3, models.get("rows").size(), models.toString());
    for (JsonNode row : models.get("rows")) assertTrue(row.asText().contains("active"), row.asText());
    assertTrue(texts(models.get("buttons")).contains("Retire"), "the hospital's admin retires its own models");
    assertTrue(texts(models.get("buttons")).stream().noneMatch(b -> b.startsWith("Activate")), "only the region activates");
    assertTrue(models.get("upload").asBoolean());
    JsonNode latency = models.get("latencyPlot").get(0);
    assertEquals("batch size", latency.get("xLabel").asText());
    assertTrue(latency.get("drawnPixels").asInt() > 5, latency.toString());

    JsonNode links = run.at("/steps/links");
    assertTrue(links.get("created").asText().contains("/l/"), links.toString());
    assertTrue(links.get("after").get(0).asText().contains("revoked"), links.toString());
    assertTrue(links.get("shared").get(0).asText().contains("dr.verdi@other"), links.toString());
    assertTrue(links.get("shared").get(0).asText().contains("active"), links.toString());
    assertTrue(links.get("sharesAfter").get(0).asText().contains("expired"), "an ended share: " + links);
    assertTrue(run.at("/steps/audit/text").asText().contains("link.create"), run.at("/steps/audit").toString());

    JsonNode tablet = run.at("/steps/tablet");
    assertTrue(tablet.get("scrollWidth").asInt() <= 769, "no sideways scrolling on a tablet: " + tablet);

    JsonNode radiologist = run.at("/steps/radiologist");
    assertEquals(List.of("studies"), texts(radiologist.get("nav")));
    for (String button : texts(radiologist.get("buttons"))) {
      assertFalse(Set.of("Revoke", "Retire", "Register", "Create link", "Share", "End").contains(button)
          || button.startsWith("Activate"), button);
    }
    assertTrue(radiologist.get("forbidden").asText().contains("not available to your role"), radiologist.toString());
    assertTrue(radiologist.get("linksForbidden").asText().contains("not available to your role"), radiologist.toString());
    for (String call : List.of("overview", "links", "audit", "shares")) {
      assertEquals(403, radiologist.at("/api/" + call).asInt(), "the API refuses it anyway: " + call);
    }
  }

  /**
   * The overview once the demo's run shows in it and stays: three studies, as many instances as
   * the archive holds (the images and the results the jobs stored), results inferred, a latency.
   */
  private static JsonObject awaitOverview() throws InterruptedException {
    String token = imago.token("demo", Caller.Role.ADMIN);
    return Eventually.eventually(Duration.ofSeconds(60), "the overview shows the demo's run", () -> {
      long archived = 0;
      for (Object s : new JsonArray(imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl()
          + "/dicomweb/studies?includefield=00201208")).header("Authorization", "Bearer " + token).build()).body())) {
        archived += ((JsonObject) s).getJsonObject("00201208").getJsonArray("Value").getLong(0);
      }
      JsonObject o = new JsonObject(imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/admin/overview?range=1h"))
          .header("Authorization", "Bearer " + token).build()).body());
      return o.put("archived", archived);
    }, o -> {
      JsonObject f = o.getJsonObject("figures");
      return f.getLong("studies") == 3 && f.getLong("instances") == o.getLong("archived") && f.getLong("jobsRunning") == 0
          && f.getValue("jobLatencyP50Ms") != null && hasSeries(o, "images") && hasSeries(o, "received") && hasSeries(o, "jobs");
    });
  }

  private static boolean hasSeries(JsonObject overview, String plot) {
    for (Object p : overview.getJsonArray("plots")) {
      JsonObject o = (JsonObject) p;
      if (o.getString("id").equals(plot)) return !o.getJsonArray("series").isEmpty();
    }
    return false;
  }

  private static String studyUid(String modality) {
    Matcher m = Pattern.compile(modality + "\\s+\\S+ \\S+\\s+\\d+ instance\\(s\\)\\s+study (\\S+)").matcher(demoOutput);
    assertTrue(m.find(), demoOutput);
    return m.group(1);
  }

  private static JsonNode number(JsonNode numbers, String field) {
    for (JsonNode n : numbers) if (field.equals(n.path("field").asText())) return n;
    throw new AssertionError("no number for " + field + " in " + numbers);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static JsonNode browse(Map<String, String> env) throws Exception {
    Map<String, String> all = new HashMap<>(env);
    all.put("IMAGO_URL", imago.baseUrl());
    return BrowserScript.run("/console/open-console.cjs", OUT, "console", Duration.ofMinutes(4), all);
  }

}
