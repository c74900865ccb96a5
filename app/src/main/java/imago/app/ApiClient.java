package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import imago.core.tenant.Tenant;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The command line's HTTP side: Imago's base URL, a bearer token, and problem+json printed the way
 * a person reads it. Without {@code --token} (or {@code $IMAGO_TOKEN}) a short-lived token is
 * minted with this data folder's key for a local server.
 */
final class ApiClient {
  private final String base;
  private final String token;
  private final PrintStream out;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private ApiClient(String base, String token, PrintStream out) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.token = token;
    this.out = out;
  }

  static ApiClient of(Config config, Map<String, String> options, Caller.Role role, PrintStream out) throws IOException {
    String token = options.getOrDefault("token", System.getenv("IMAGO_TOKEN"));
    if (token == null || token.isBlank()) {
      String tenant = options.get("tenant");
      if (tenant == null) {
        List<Tenant> all = Imago.tenants(config).all();
        tenant = all.get(0).id();
        if (all.size() > 1) {
          System.err.println("imago: acting for tenant " + tenant + ", the first configured (--tenant T for another)");
        }
      }
      token = TokenCommand.mint(config, tenant, role, Duration.ofMinutes(10), "cli:" + role.name().toLowerCase() + "@" + tenant);
    }
    return new ApiClient(options.getOrDefault("url", defaultUrl(config)), token, out);
  }

  /** The local server: its run file names its port, else the configured one. */
  static String defaultUrl(Config config) {
    return "http://localhost:" + RunFile.of(config).httpPort();
  }

  /** Imago's base URL, without a trailing slash. */
  String base() {
    return base;
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
        .header("Accept", "application/json").timeout(Duration.ofMinutes(30));
  }

  HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (java.net.ConnectException e) {
      throw new IOException("cannot reach Imago at " + base + " (is `./imago serve` running? --url sets another)", e);
    }
  }

  /** Prints a problem+json answer the way a person reads it; exit code 1. */
  int problem(HttpResponse<String> r) {
    return problem(r.statusCode(), r.body());
  }

  /** The same for an answer read some other way (a download's file). */
  int problem(int status, String body) {
    try {
      JsonObject p = new JsonObject(body);
      out.printf("error %d: %s%s%n", status, p.getString("title", ""), p.containsKey("detail") ? ": " + p.getString("detail") : "");
      for (Object o : p.getJsonArray("errors", new JsonArray())) {
        JsonObject e = (JsonObject) o;
        out.printf("  %s: %s%n", e.getString("path").isEmpty() ? "/" : e.getString("path"), e.getString("message"));
      }
    } catch (RuntimeException e) {
      out.printf("error %d: %s%n", status, body);
    }
    return 1;
  }
}
