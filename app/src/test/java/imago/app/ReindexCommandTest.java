package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import imago.core.testkit.Trees;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The object store is the record: kill -9, delete the index, {@code imago reindex}, and Imago answers as before. */
class ReindexCommandTest {
  @TempDir Path tmp;

  @Test
  void anIndexDeletedAfterAKillIsRebuiltFromTheObjectsAndAnswersExactlyAsBefore() throws Exception {
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(2, 2, 3).withSize(64, 64).withSeed(407);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("in"));
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    Config config = Config.load(null, Map.of(), Map.of("data", data.toString(), "tenants", TestImago.TENANTS));
    String token = TokenCommand.mint(config, "demo", Caller.Role.HOSPITAL, Duration.ofHours(1), null);
    String study = SyntheticCt.studyInstanceUid(spec, 1);
    List<String> paths = List.of("/dicomweb/studies?PatientID=*&includefield=all",
        "/dicomweb/instances?includefield=all", "/dicomweb/studies/" + study + "/series?includefield=all",
        "/dicomweb/studies/" + study + "/metadata");
    ServerProcess server = ServerProcess.start(data);
    Dcmtk.Result sent = Dcmtk.storescu("127.0.0.1", server.dicomPort, "DEMO", "IMAGO", files);
    assertTrue(sent.ok(), sent.toString());
    List<String> before = answers(server, token, paths);
    server.kill();
    Trees.delete(data.resolve("index"));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc = ReindexCommand.run(config, null, 2, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(java.io.OutputStream.nullOutputStream()));
    assertEquals(0, rc, out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("12 instance objects: 12 indexed"), out.toString());

    try (ServerProcess restarted = server.restart()) {
      assertEquals(before, answers(restarted, token, paths));
    }
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    ReindexCommand.run(config, "demo", 2, new PrintStream(again, true, StandardCharsets.UTF_8),
        new PrintStream(java.io.OutputStream.nullOutputStream()));
    assertTrue(again.toString(StandardCharsets.UTF_8).startsWith("12 instance objects: 0 indexed, 12 already indexed"),
        again.toString());
  }

  private static List<String> answers(ServerProcess server, String token, List<String> paths) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    List<String> out = new java.util.ArrayList<>();
    for (String p : paths) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + p))
          .header("Authorization", "Bearer " + token).header("Accept", "application/dicom+json").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), p + ": " + r.body());
      // QIDO-RS and WADO-RS promise no order: compare the set of answers, each object as it is
      List<String> objects = new java.util.ArrayList<>();
      for (Object o : new io.vertx.core.json.JsonArray(r.body())) objects.add(((io.vertx.core.json.JsonObject) o).encode());
      java.util.Collections.sort(objects);
      out.add(String.join("\n", objects));
    }
    return out;
  }

}
