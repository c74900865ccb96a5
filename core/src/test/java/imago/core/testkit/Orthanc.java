package imago.core.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Orthanc as a real peer (a C-STORE / C-MOVE destination, a reference server): started
 * on free loopback ports with a configuration of its own in a folder of the test's, no plugins,
 * no authentication, accepting C-STORE from any AE; stopped by {@link #close}.
 */
public final class Orthanc implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final String aeTitle;
  private final int dicomPort;
  private final int httpPort;
  private final Path log;

  private Orthanc(Process process, String aeTitle, int dicomPort, int httpPort, Path log) {
    this.process = process;
    this.aeTitle = aeTitle;
    this.dicomPort = dicomPort;
    this.httpPort = httpPort;
    this.log = log;
  }

  /** Starts Orthanc with AE title {@code aeTitle}, storing under {@code dir}; returns once its REST API answers. */
  public static Orthanc start(Path dir, String aeTitle) {
    int dicomPort = PortFinder.freePort();
    int httpPort = PortFinder.freePort();
    try {
      Path db = Files.createDirectories(dir.resolve("db"));
      Path config = dir.resolve("orthanc.json");
      Files.writeString(config, String.format("""
          { "Name": "imago-test", "StorageDirectory": "%1$s", "IndexDirectory": "%1$s",
            "DicomAet": "%2$s", "DicomPort": %3$d, "HttpPort": %4$d, "RemoteAccessAllowed": false,
            "AuthenticationEnabled": false, "DicomCheckCalledAet": true, "DicomAlwaysAllowStore": true,
            "Plugins": [], "HttpThreadsCount": 4, "StableAge": 1 }
          """, db, aeTitle, dicomPort, httpPort), StandardCharsets.UTF_8);
      Path log = dir.resolve("orthanc.log");
      Process p = new ProcessBuilder("Orthanc", config.toString()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      Orthanc orthanc = new Orthanc(p, aeTitle, dicomPort, httpPort, log);
      try {
        Eventually.eventually(Duration.ofSeconds(30), "Orthanc answers", () -> !p.isAlive()
            || orthanc.get("/system").statusCode() == 200);
      } catch (AssertionError silent) {
        orthanc.close();
        throw new IllegalStateException("Orthanc did not answer within 30 s: " + Files.readString(log));
      }
      if (!p.isAlive()) throw new IllegalStateException("Orthanc exited: " + Files.readString(log));
      return orthanc;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Orthanc (is the Debian package orthanc installed?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String aeTitle() {
    return aeTitle;
  }

  public int dicomPort() {
    return dicomPort;
  }

  public int httpPort() {
    return httpPort;
  }

  /** GET on Orthanc's REST API, e.g. {@code /instances}. */
  public HttpResponse<String> get(String path) throws IOException {
    return get(path, HttpResponse.BodyHandlers.ofString());
  }

  /** GET returning bytes, e.g. {@code /instances/{id}/file}. */
  public byte[] getBytes(String path) throws IOException {
    return get(path, HttpResponse.BodyHandlers.ofByteArray()).body();
  }

  private <T> HttpResponse<T> get(String path, HttpResponse.BodyHandler<T> body) throws IOException {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
          .timeout(Duration.ofSeconds(30)).GET().build(), body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  public String output() {
    return Dcmtk.readLog(log);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
