package imago.app;

import imago.core.config.Config;
import imago.node.NodeConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code {data}/run/imago.json}, which a serving process writes once it listens: the ports a
 * command beside it (demo, status, models) talks to. Without it (no server yet, or an older
 * one), the configured ports.
 */
record RunFile(int dicomPort, int httpPort) {
  static RunFile of(Config config) {
    NodeConfig node = config.section("node", NodeConfig.class);
    Path run = config.dataDir().resolve("run").resolve("imago.json");
    try {
      if (Files.isRegularFile(run)) {
        JsonObject json = new JsonObject(Files.readString(run));
        return new RunFile(json.getInteger("dicomPort", node.dicomPort()), json.getInteger("httpPort", node.httpPort()));
      }
    } catch (IOException | RuntimeException ignored) {
      // fall back to the configuration
    }
    return new RunFile(node.dicomPort(), node.httpPort());
  }
}
