package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OHIF viewer end to end: a CT series stored through STOW-RS into a real Imago, opened in
 * headless Chromium (Debian's, driven by playwright-core from scripts/setup.sh --test) at
 * {@code /viewer/viewer?StudyInstanceUIDs=...}. The browser is sent to the login page, signs in
 * with a pasted bearer token, comes back to the study, and must draw it. Screenshots and the
 * request log land in target/viewer/.
 */
class ViewerTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path OUT = Path.of("target", "viewer").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static TestImago node;
  static String radiologist;
  static String study;
  static String series;
  static JsonNode run;
  static String shortToken;

  @BeforeAll
  static void storeAStudyAndOpenItInTheBrowser() throws Exception {
    Path playwright = repoRoot().resolve(".cache/playwright/node_modules/playwright-core");
    assertTrue(Files.isDirectory(playwright) && Files.isExecutable(CHROMIUM),
        "playwright-core and chromium are missing: run scripts/setup.sh --test");
    node = TestImago.start(tmp.resolve("data"));
    radiologist = node.token("demo", Caller.Role.RADIOLOGIST);
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 8).withSize(256, 256).withSeed(4242);
    study = SyntheticCt.studyInstanceUid(spec, 1);
    series = SyntheticCt.seriesInstanceUid(spec, 1, 1);
    List<byte[]> slices = new ArrayList<>();
    for (int i = 1; i <= spec.instancesPerSeries(); i++) slices.add(SyntheticCt.instance(spec, 1, 1, i));
    HttpResponse<String> stored = node.stow(node.token("demo", Caller.Role.HOSPITAL), study, slices);
    assertEquals(200, stored.statusCode(), stored.body());
    run = openStudy(renderExpected() ? 90_000 : 5_000);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void theStudyAddressWithoutATokenLeadsToTheLoginPageWhichLeadsBackToTheStudy() {
    JsonNode login = run.at("/steps/redirectedToLogin");
    assertEquals("signed-out", login.path("reason").asText(), run.toString());
    assertEquals("/viewer/viewer?StudyInstanceUIDs=" + study, login.path("next").asText());
    JsonNode after = run.at("/steps/afterLogin");
    assertEquals(node.baseUrl() + "/viewer/viewer?StudyInstanceUIDs=" + study, after.path("url").asText());
    assertTrue(after.path("storedToken").asBoolean(), "the pasted token is kept in localStorage");
  }

  @Test
  void aTokenImagoDidNotSignSendsTheUserBackToTheLoginPage() {
    JsonNode rejected = run.at("/steps/rejectedToken");
    assertEquals("/viewer/viewer?StudyInstanceUIDs=" + study, rejected.path("next").asText(), run.path("steps").toString());
    boolean refused = false;
    for (JsonNode rq : run.path("requests")) {
      // requests still in flight when the page leaves for the login page are aborted, without an answer
      if ("forged".equals(rq.path("phase").asText()) && rq.path("path").asText().startsWith("/dicomweb/")
          && !rq.path("status").isNull()) {
        assertEquals(401, rq.path("status").asInt(), rq.toString());
        refused = true;
      }
    }
    assertTrue(refused, "the viewer tried DICOMweb with the forged token");
  }

  @Test
  void theOhifShellBootsWithImagosConfiguration() {
    JsonNode shell = run.at("/steps/shell");
    assertTrue(shell.path("booted").asBoolean(), run.toString());
    assertTrue(shell.path("configIsImagos").asBoolean(), shell.toString());
    assertEquals(node.baseUrl() + "/dicomweb", shell.path("qidoRoot").asText());
    assertEquals("/viewer", shell.path("routerBasename").asText());
    assertEquals("/viewer/", shell.path("publicUrl").asText());
    // (a page that leaves for the login page may die half-booted: only the signed-in viewer counts)
    for (JsonNode error : run.path("pageErrors")) {
      assertFalse("signed-in".equals(error.path("phase").asText()), "uncaught error in the viewer: " + error);
    }
    for (JsonNode rq : run.path("requests")) {
      if ("signed-in".equals(rq.path("phase").asText()) && rq.path("path").asText().startsWith("/viewer/")
          && !"document".equals(rq.path("type").asText())) {
        int status = rq.path("status").asInt();
        assertTrue(status == 200 || status == 304, "every viewer file loads: " + rq);
      }
    }
  }

  @Test
  void everyDicomWebRequestTheViewerMakesCarriesTheBearerToken() {
    List<JsonNode> dicomweb = new ArrayList<>();
    run.path("requests").forEach(rq -> {
      String path = rq.path("path").asText();
      if ("signed-in".equals(rq.path("phase").asText()) && (path.startsWith("/dicomweb/") || path.startsWith("/wado"))) {
        dicomweb.add(rq);
      }
    });
    assertFalse(dicomweb.isEmpty(), "OHIF asked Imago's DICOMweb nothing: " + run.path("requests"));
    assertTrue(dicomweb.get(0).path("path").asText().startsWith("/dicomweb/studies?"), "OHIF starts with QIDO-RS: " + dicomweb);
    for (JsonNode rq : dicomweb) assertEquals("bearer-token", rq.path("authorization").asText(), rq.toString());
  }

  @Test
  void aTokenNearItsEndIsRefreshedWhileTheViewerIsOpenWithinTheSameSession() throws Exception {
    String refreshed = run.at("/steps/refreshed/token").asText();
    assertFalse(refreshed.isEmpty(), "the viewer did not refresh its token: " + run.at("/steps/refreshed"));
    JsonNode first = claims(shortToken);
    JsonNode next = claims(refreshed);
    assertEquals(first.path("jti").asText(), next.path("sid").asText(), "the refreshed token continues the first's session");
    assertEquals("short-lived", next.path("sub").asText());
    assertEquals(200, node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/dicomweb/studies?StudyInstanceUID=" + study))
        .header("Authorization", "Bearer " + refreshed).build()).statusCode());
  }

  private static JsonNode claims(String jwt) throws IOException {
    return JSON.readTree(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
  }

  @Test
  void theStudyIsDrawnInTheViewport() throws Exception {
    // QIDO-RS and WADO-RS are what OHIF reads a study through
    assertTrue(renderExpected(), "QIDO-RS /dicomweb/studies or WADO-RS series metadata not served");
    JsonNode render = run.at("/steps/render");
    assertTrue(render.path("rendered").asBoolean(), "viewport blank: " + render + "; requests: " + run.path("requests")
        + "; console errors: " + run.path("consoleErrors"));
    assertTrue(Files.size(OUT.resolve("viewer.png")) > 10_000, "screenshot saved");
  }

  /** Whether Imago answers what OHIF reads a study through: QIDO-RS studies and WADO-RS series metadata. */
  private static boolean renderExpected() throws IOException, InterruptedException {
    return get("/dicomweb/studies?StudyInstanceUID=" + study) == 200
        && get("/dicomweb/studies/" + study + "/series/" + series + "/metadata") == 200;
  }

  private static int get(String path) throws IOException, InterruptedException {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + radiologist).header("Accept", "application/dicom+json").build()).statusCode();
  }

  private static JsonNode openStudy(long renderTimeoutMs) throws Exception {
    shortToken = node.imago.auth().mint("short-lived", "demo", Caller.Role.RADIOLOGIST, Duration.ofSeconds(30));
    return BrowserScript.run("/viewer/open-study.cjs", OUT, "study", Duration.ofMillis(renderTimeoutMs + 120_000), Map.of(
        "CHROMIUM", CHROMIUM.toString(), "IMAGO_URL", node.baseUrl(), "IMAGO_TOKEN", radiologist, "SHORT_TOKEN", shortToken,
        "STUDY_UID", study, "RENDER_TIMEOUT_MS", Long.toString(renderTimeoutMs)));
  }


  /** The repository root (surefire sets imago.repo.root), where scripts/setup.sh puts .cache/. */
  private static Path repoRoot() {
    String root = System.getProperty("imago.repo.root");
    return root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
  }
}
