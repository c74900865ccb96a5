package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The routes that read a JSON body (runs, links, shares, model activation): whatever a client
 * sends them is answered 4xx problem+json. Cases the REST fuzz (RestFuzzTest) found.
 */
class JsonBodyRoutesTest {
  @TempDir static Path tmp;
  static TestImago node;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** A cohort that is a list, a string or a number is 400, not a ClassCastException answered 500; null is none given. */
  @Test
  void aRunWhoseCohortIsNotAnObjectIs400() throws Exception {
    for (String cohort : new String[] {"[]", "\"CR\"", "1"}) {
      HttpResponse<String> r = post("/inference/runs", "application/json",
          "{\"model\": \"m\", \"version\": \"1.0.0\", \"cohort\": " + cohort + "}");
      assertEquals(400, r.statusCode(), cohort + ": " + r.body());
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
    }
    HttpResponse<String> none = post("/inference/runs", "application/json",
        "{\"model\": \"m\", \"version\": \"1.0.0\", \"cohort\": null}");
    assertEquals(409, none.statusCode(), "a null cohort is every study; the model is not registered: " + none.body());
  }

  /** {@code "rights": null} is no rights given, as when the member is absent: the default, view (it was a 500). */
  @Test
  void aLinkWhoseRightsAreNullHasTheDefaultRights() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(1304);
    assertEquals(200, node.stow(node.token("demo", Caller.Role.HOSPITAL), null, List.of(SyntheticCt.instance(spec, 1, 1, 1)))
        .statusCode());
    HttpResponse<String> r = post("/fse/links", "application/json", "{\"studyUID\": \"" + SyntheticCt.studyInstanceUid(spec, 1)
        + "\", \"ttl\": \"P1D\", \"rights\": null}");
    assertEquals(201, r.statusCode(), r.body());
    assertEquals(List.of("view"), new JsonObject(r.body()).getJsonArray("rights").getList());
  }

  /**
   * A multipart/form-data body sent to a JSON route is refused without writing its file parts
   * anywhere: Vert.x's BodyHandler would otherwise store each one under ./file-uploads of the
   * server's working directory, and never delete it (any caller could fill the disk).
   */
  @Test
  void aFormSentToAJsonRouteIsRefusedAndLeavesNoFileBehind() throws Exception {
    Path uploads = Path.of(BodyHandler.DEFAULT_UPLOADS_DIRECTORY);
    List<Path> before = files(uploads);
    String form = "--f\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n" + "x".repeat(4000) + "\r\n--f--\r\n";
    for (String path : List.of("/fse/links", "/admin/shares", "/inference/runs", "/models/m/versions/1.0.0/activate",
        "/models/m/versions/1.0.0/retire")) {
      HttpResponse<String> r = post(path, "multipart/form-data; boundary=f", form);
      assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, path + ": " + r.statusCode() + " " + r.body());
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), path);
    }
    assertEquals(before, files(uploads), "files written under " + uploads.toAbsolutePath());
  }

  private static List<Path> files(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  private static HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .header("Authorization", "Bearer " + node.token("demo", Caller.Role.HOSPITAL))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }
}
