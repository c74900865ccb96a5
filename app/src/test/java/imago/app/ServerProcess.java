package imago.app;

import static imago.core.testkit.Eventually.eventually;

import imago.core.testkit.PortFinder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** {@code imago serve} as a separate JVM, so a test can kill -9 it like a power cut would. */
final class ServerProcess implements AutoCloseable {
  final Path data;
  final int dicomPort;
  final int httpPort;
  private final Process process;

  private ServerProcess(Path data, int dicomPort, int httpPort, Process process) {
    this.data = data;
    this.dicomPort = dicomPort;
    this.httpPort = httpPort;
    this.process = process;
  }

  static ServerProcess start(Path data, int dicomPort, int httpPort) throws IOException, InterruptedException {
    return start(data, dicomPort, httpPort, Map.of());
  }

  static ServerProcess start(Path data, int dicomPort, int httpPort, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = process(data, "serve", "server", env);
    pb.environment().put("IMAGO_NODE_DICOM_PORT", Integer.toString(dicomPort));
    pb.environment().put("IMAGO_NODE_HTTP_PORT", Integer.toString(httpPort));
    ServerProcess server = new ServerProcess(data, dicomPort, httpPort, pb.start());
    server.awaitReady();
    return server;
  }

  /** {@code imago worker} on the same data folder as a running server; returns once it claims jobs. */
  static ServerProcess startWorker(Path data, String name, Map<String, String> env) throws IOException, InterruptedException {
    Path log = data.resolveSibling(data.getFileName() + "-" + name + ".log");
    ServerProcess worker = new ServerProcess(data, 0, 0, process(data, "worker", name, env).start());
    eventually(Duration.ofSeconds(90), "imago worker starts (see " + log + ")", () -> !worker.process.isAlive()
        || Files.exists(log) && Files.readString(log).contains("event=worker.started"));
    if (!worker.process.isAlive()) throw new IOException("imago worker exited with " + worker.process.exitValue());
    return worker;
  }

  private static ProcessBuilder process(Path data, String command, String name, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", System.getProperty("java.class.path"), "imago.app.Main", command)).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolveSibling(data.getFileName() + "-" + name + ".log").toFile()));
    pb.environment().put("IMAGO_DATA", data.toString());
    pb.environment().put("IMAGO_CONFIG", data.resolve("none.yaml").toString());
    pb.environment().put("IMAGO_NODE_BIND_ADDRESS", "127.0.0.1");
    pb.environment().put("IMAGO_NODE_DICOM_TLS_PORT", "-1");
    pb.environment().put("IMAGO_NODE_HTTPS_PORT", "-1");
    pb.environment().put("IMAGO_TENANTS", TestImago.TENANTS);
    pb.environment().put("IMAGO_INFERENCE_CACHE_DIR", ReferenceModels.repoRoot().resolve(".cache").resolve("engines").toString());
    pb.environment().putAll(env);
    return pb;
  }

  long pid() {
    return process.pid();
  }

  static ServerProcess start(Path data) throws IOException, InterruptedException {
    return start(data, PortFinder.freePort(), PortFinder.freePort());
  }

  ServerProcess restart() throws IOException, InterruptedException {
    return start(data, dicomPort, httpPort);
  }

  private void awaitReady() throws InterruptedException, IOException {
    HttpClient http = HttpClient.newHttpClient();
    eventually(Duration.ofSeconds(90), "imago serve becomes ready", () -> !process.isAlive()
        || http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    if (!process.isAlive()) throw new IOException("imago serve exited with " + process.exitValue());
  }

  /** SIGKILL: no shutdown hook, no flush, no goodbye. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
