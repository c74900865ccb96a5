package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import imago.core.tenant.Caller;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
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

  private static HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .header("Authorization", "Bearer " + node.token("demo", Caller.Role.HOSPITAL))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }
}
