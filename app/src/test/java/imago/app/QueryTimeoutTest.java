package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import imago.storage.testkit.PostgresFixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every SQL statement runs under storage.db.queryTimeout: a query held up (here by a table lock,
 * standing for a query that scans too much) fails alone with 503 problem+json, while requests that
 * do not need it go on, and the same query answers again once it can.
 */
class QueryTimeoutTest {
  @TempDir Path tmp;

  @Test
  void aSlowQueryFailsAloneWith503AndTheOthersGoOn() throws Exception {
    try (PostgresFixture pg = PostgresFixture.create()) {
      Map<String, String> keys = Map.of("storage.db.url", pg.url(), "storage.db.user", PostgresFixture.USER,
          "storage.db.password", PostgresFixture.PASSWORD, "storage.db.queryTimeout", "PT1S");
      SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(1501);
      List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
      try (TestImago node = TestImago.start(tmp.resolve("data"), keys)) {
        Dcmtk.Result stored = Dcmtk.storescu("127.0.0.1", node.dicomPort(), "DEMO", "IMAGO", files);
        assertTrue(stored.ok(), stored.toString());
        String token = node.token("demo", Caller.Role.RADIOLOGIST);
        String search = "/dicomweb/studies?StudyInstanceUID=" + SyntheticCt.studyInstanceUid(spec, 1);
        assertEquals(200, get(node, token, search).statusCode());

        try (Connection lock = DriverManager.getConnection(pg.url(), PostgresFixture.USER, PostgresFixture.PASSWORD);
             Statement s = lock.createStatement()) {
          lock.setAutoCommit(false);
          s.execute("LOCK TABLE studies IN ACCESS EXCLUSIVE MODE");
          long t0 = System.nanoTime();
          HttpResponse<String> slow = get(node, token, search);
          double seconds = (System.nanoTime() - t0) / 1e9;
          assertEquals(503, slow.statusCode(), slow.body());
          assertEquals("application/problem+json", slow.headers().firstValue("Content-Type").orElse(""));
          assertTrue(slow.body().contains("query-timeout"), slow.body());
          assertTrue(seconds < 5, "stopped at the timeout, after " + seconds + " s");
          // a request that does not need the held table answers meanwhile
          HttpResponse<String> other = get(node, node.token("demo", Caller.Role.RESEARCHER), "/models");
          assertEquals(200, other.statusCode(), other.body());
          lock.rollback();
        }
        eventually(Duration.ofSeconds(30), "the search answers again", () -> get(node, token, search).statusCode() == 200);
      }
    }
  }

  private static HttpResponse<String> get(TestImago node, String token, String path) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).header("Authorization", "Bearer " + token)
        .header("Accept", "application/dicom+json, application/json").timeout(Duration.ofSeconds(30)).GET().build());
  }
}
