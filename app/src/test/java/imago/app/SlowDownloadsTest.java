package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twenty clients that start a study download through an FSE link and then stop reading hold only
 * the link-download pool: queries and retrieves of everyone else still get their answers.
 */
class SlowDownloadsTest {
  @TempDir static Path tmp;
  static TestImago node;
  static String hospital;
  static String study;
  static String download;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    hospital = node.token("demo", Caller.Role.HOSPITAL);
    // 24 CT slices of 512 x 512: 12 MB of zip, more than the socket buffers between a client that stops reading and Imago.
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 24).withSize(512, 512).withSeed(2020);
    study = SyntheticCt.studyInstanceUid(spec, 1);
    List<byte[]> slices = new ArrayList<>();
    for (int i = 1; i <= 24; i++) slices.add(SyntheticCt.instance(spec, 1, 1, i));
    assertEquals(200, node.stow(hospital, study, slices).statusCode());
    HttpResponse<String> link = node.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/fse/links"))
        .header("Authorization", "Bearer " + hospital).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyUID", study)
            .put("rights", new JsonArray().add("view").add("download")).encode())).build());
    assertEquals(201, link.statusCode(), link.body());
    download = URI.create(new JsonObject(link.body()).getJsonObject("links").getString("download")).getRawPath();
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** Sends the download request and reads the response's status line and headers, then nothing more. */
  private static int stalledDownload(Socket s) throws IOException {
    s.setReceiveBufferSize(1024);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", URI.create(node.baseUrl()).getPort()));
    s.setSoTimeout(60_000);
    s.getOutputStream().write(("GET " + download + " HTTP/1.1\r\nHost: imago\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) break;
      head.write(b);
    }
    String status = head.toString(StandardCharsets.US_ASCII);
    return Integer.parseInt(status.substring(9, 12));
  }

  @Test
  void twentyClientsThatStopReadingDownloadsDoNotStallQueries() throws Exception {
    List<Socket> clients = new ArrayList<>();
    try {
      int running = 0;
      int refused = 0;
      for (int i = 0; i < 20; i++) {
        Socket s = new Socket();
        clients.add(s);
        int status = stalledDownload(s);
        if (status == 200) running++;
        else if (status == 503) refused++;
      }
      assertEquals(20, running + refused);
      assertEquals(16, running, "downloads run on 16 threads of their own");
      assertEquals(4, refused, "the rest are told to come back (503, Retry-After)");
      HttpResponse<String> qido = node.http().send(HttpRequest.newBuilder(URI.create(node.baseUrl()
          + "/dicomweb/studies?StudyInstanceUID=" + study)).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + hospital).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, qido.statusCode(), "QIDO-RS answers while the downloads are stuck");
      HttpResponse<String> metadata = node.http().send(HttpRequest.newBuilder(URI.create(node.baseUrl()
          + "/dicomweb/studies/" + study + "/metadata")).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + hospital).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metadata.statusCode());
    } finally {
      for (Socket s : clients) s.close();
    }
  }
}
