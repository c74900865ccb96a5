package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code imago models ...} against a running Imago, as a researcher and an admin use it. */
class ModelsCommandTest {
  @TempDir static Path tmp;
  static TestImago imago;
  static Config config;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"));
    config = Config.load(null, Map.of(), TestImago.overrides(tmp.resolve("data")));
  }

  @AfterAll
  static void stop() {
    imago.close();
  }

  record Run(int code, String out) {}

  static Run models(String... args) throws Exception {
    List<String> positional = new java.util.ArrayList<>();
    Map<String, String> options = new HashMap<>();
    options.put("url", imago.baseUrl());
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) options.put(args[i].substring(2), args[++i]);
      else positional.add(args[i]);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = ModelsCommand.run(config, positional, options, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return new Run(code, bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void registersListsShowsActivatesAndRetiresEachReferenceModel() throws Exception {
    for (String model : List.of("lesion-cls-torchscript", "lesion-cls-onnx", "lesion-cls-keras")) {
      Path dir = ReferenceModels.model(model);
      String name = new io.vertx.core.json.JsonObject(Files.readString(dir.resolve("manifest.json"))).getString("name");
      Run register = models("register", dir.toString());
      assertEquals(0, register.code(), register.out());
      assertTrue(register.out().contains("registered " + name + " 1.0.0: validated"), register.out());
      assertTrue(register.out().contains("validation   passed on"), register.out());

      Run activate = models("activate", name, "1.0.0", "--mode", "primary");
      assertEquals(0, activate.code(), activate.out());
      assertEquals(name + " 1.0.0 is active (primary)", activate.out().trim());

      Run show = models("show", name, "1.0.0");
      assertTrue(show.out().contains("state        active (primary)"), show.out());
      assertTrue(show.out().contains("sha256"), show.out());

      Run list = models("list", "--state", "active");
      assertTrue(list.out().lines().anyMatch(l -> l.startsWith(name + " ") && l.contains("active")), list.out());

      Run retire = models("retire", name, "1.0.0", "--reason", "superseded");
      assertEquals(name + " 1.0.0 is retired", retire.out().trim());
    }
  }

  @Test
  void aRefusedRegistrationPrintsEveryErrorAndExitsNonZero(@TempDir Path dir) throws Exception {
    Path src = ReferenceModels.model("lesion-cls-onnx");
    Files.copy(src.resolve("model.onnx"), dir.resolve("model.onnx"));
    Files.writeString(dir.resolve("manifest.json"), Files.readString(src.resolve("manifest.json"))
        .replace("\"onnx\"", "\"caffe\"").replace("\"name\": \"lesion-cls-onnx\"", "\"name\": \"cli-bad\""));
    Run run = models("register", dir.toString());
    assertEquals(1, run.code());
    assertTrue(run.out().contains("error 422: Invalid manifest"), run.out());
    assertTrue(run.out().contains("/framework:"), run.out());
  }
}
