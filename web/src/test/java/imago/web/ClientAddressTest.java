package imago.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Security: the address the audit records. X-Forwarded-For is the client's to write, so it is
 * believed only when a configured reverse proxy is the one connecting.
 */
class ClientAddressTest {
  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private String seen(ClientAddress clients, String forwardedFor) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(rq -> rq.response().end(String.valueOf(clients.of(rq))))
        .listen(0, "127.0.0.1").await();
    try {
      HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/"));
      if (forwardedFor != null) rq.header("X-Forwarded-For", forwardedFor);
      return http.send(rq.build(), HttpResponse.BodyHandlers.ofString()).body();
    } finally {
      server.close().await();
    }
  }

  @Test
  void withoutTrustedProxiesTheHeaderIsIgnored() throws Exception {
    assertEquals("127.0.0.1", seen(new ClientAddress(List.of()), "203.0.113.9"));
  }

  @Test
  void behindATrustedProxyTheClientItNamesIsRecorded() throws Exception {
    ClientAddress behindProxy = new ClientAddress(List.of("127.0.0.0/8", "10.0.0.5"));
    assertEquals("203.0.113.9", seen(behindProxy, "203.0.113.9"));
    // the right-most address that is not a trusted proxy: what a client wrote before the proxies is not believed
    assertEquals("198.51.100.7", seen(behindProxy, "6.6.6.6, 198.51.100.7, 10.0.0.5"));
    assertEquals("127.0.0.1", seen(behindProxy, "not-an-address"));
    assertEquals("127.0.0.1", seen(behindProxy, null));
  }

  @Test
  void aBadProxyListStopsTheStart() {
    assertThrows(IllegalArgumentException.class, () -> new ClientAddress(List.of("proxy.example.org")));
    assertThrows(IllegalArgumentException.class, () -> new ClientAddress(List.of("10.0.0.0/33")));
  }
}
