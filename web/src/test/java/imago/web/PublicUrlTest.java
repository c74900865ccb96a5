package imago.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one rule for the addresses Imago writes: node.publicUrl, else where the connection arrived, never the Host header. */
class PublicUrlTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private String answer(PublicUrl address, String host) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(rq -> rq.response().end(address.of(rq)))
        .listen(0, "127.0.0.1").await();
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      return response.substring(response.indexOf("\r\n\r\n") + 4) + "@" + server.actualPort();
    } finally {
      server.close().await();
    }
  }

  @Test
  void aForgedHostHeaderDoesNotChooseTheAddress() throws Exception {
    String[] got = answer(new PublicUrl(null), "evil.example:443").split("@");
    assertEquals("http://127.0.0.1:" + got[1], got[0]);
  }

  @Test
  void theConfiguredAddressWinsWithoutItsTrailingSlash() throws Exception {
    assertTrue(answer(new PublicUrl(" https://imago.example.org/pacs/ "), "evil.example").startsWith("https://imago.example.org/pacs@"));
    assertEquals("/pacs", new PublicUrl("https://imago.example.org/pacs/").path());
    assertEquals("", new PublicUrl(null).path());
    assertEquals("http://localhost:8080", new PublicUrl("").orLocal(8080));
  }
}
