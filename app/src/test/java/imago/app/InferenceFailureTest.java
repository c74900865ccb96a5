package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.testkit.Dcmtk;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models that pass validation (the dry-run input is in [-0.5, 0.5)) but misbehave on real images
 * (normalised phantoms reach +-2): one throws, one answers three outputs instead of two, one never
 * returns (its sandbox is stopped at the call timeout). Their jobs end {@code failed} with the
 * reason; the good model's job on the same series still completes, and no engine ever ran in the
 * server's own process.
 */
class InferenceFailureTest {
  /** TorchScript made here with Debian's torch, as a researcher would: small, no weights. */
  static final String MAKE_FAULTY = String.join("\n",
      "import sys, torch",
      "class Throws(torch.nn.Module):",
      "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
      "        if bool(x.abs().max() > 1.0):",
      "            raise RuntimeError('synthetic failure: input outside [-1, 1]')",
      "        return torch.zeros(x.shape[0], 2)",
      "class WrongShape(torch.nn.Module):",
      "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
      "        if bool(x.abs().max() > 1.0):",
      "            return torch.zeros(x.shape[0], 3)",
      "        return torch.zeros(x.shape[0], 2)",
      "class Hangs(torch.nn.Module):",
      "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
      "        y = x",
      "        while bool(y.abs().max() > 1.0):",
      "            y = y * 1.0",
      "        return torch.zeros(x.shape[0], 2)",
      "torch.jit.save(torch.jit.script(Throws()), sys.argv[1] + '/throws/model.pt')",
      "torch.jit.save(torch.jit.script(Hangs()), sys.argv[1] + '/hangs/model.pt')",
      "torch.jit.save(torch.jit.script(WrongShape()), sys.argv[1] + '/wrong-shape/model.pt')");

  @TempDir static Path tmp;
  static TestImago imago;
  static InferenceFixture fx;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"), Map.of("inference.retryBackoff", "PT0.2S",
        "inference.sandbox.callTimeout", "PT20S"));
    fx = new InferenceFixture(imago, tmp);
    Path models = tmp.resolve("faulty");
    JsonObject manifest = new JsonObject(Files.readString(ReferenceModels.model("lesion-cls-torchscript").resolve("manifest.json")));
    for (String name : List.of("throws", "wrong-shape", "hangs")) {
      Files.createDirectories(models.resolve(name));
      Files.writeString(models.resolve(name).resolve("manifest.json"), manifest.copy().put("name", "faulty-" + name).encode());
    }
    // torch.jit.script reads the module's source, so the script must be a file.
    Path script = Files.writeString(models.resolve("make_faulty.py"), MAKE_FAULTY + "\n");
    Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), models.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0, out);
    fx.activate(models.resolve("throws"));
    fx.activate(models.resolve("wrong-shape"));
    fx.activate(models.resolve("hangs"));
    fx.activate(ReferenceModels.model("lesion-cls-onnx"));
    // CheXNet-shaped: 14 labels, 5 of them without SNOMED/DCM codes, sigmoid, an input 3.5 times the images' size.
    fx.activate(ReferenceModels.model("densenet121-torchscript"));
  }

  @Test
  void aStudyNoDecoderCanReadEndsItsJobsAsNotDecodable() throws Exception {
    PhantomStudy study = PhantomStudy.write(tmp.resolve("jpegls-source"), "PH-J");
    Path dir = Files.createDirectories(tmp.resolve("jpegls"));
    List<Path> files = new java.util.ArrayList<>();
    for (Path f : study.files) {
      Path out = dir.resolve(f.getFileName());
      // JPEG-LS lossless whose header then claims twice the rows and columns its codestream holds: GDCM's
      // assertion aborts the codec helper that tries it, which must cost these jobs, not the server.
      Process p = new ProcessBuilder("dcmcjpls", f.toString(), out.toString()).redirectErrorStream(true).start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), log);
      AttributeList header = new AttributeList();
      header.read(out.toFile(), TagFromName.PixelData);
      int rows = Attribute.getSingleIntegerValueOrDefault(header, TagFromName.Rows, 0);
      int columns = Attribute.getSingleIntegerValueOrDefault(header, TagFromName.Columns, 0);
      p = new ProcessBuilder("dcmodify", "-nb", "-m", "(0028,0010)=" + rows * 2, "-m", "(0028,0011)=" + columns * 2,
          out.toString()).redirectErrorStream(true).start();
      log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), log);
      files.add(out);
    }
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", files, "-xt").ok());
    JsonObject job = fx.jobOf(fx.awaitJobs(study.studyUid, 5), "lesion-cls-onnx");
    assertEquals("failed", job.getString("state"), job.encodePrettily());
    assertTrue(job.getString("reason").startsWith("not decodable: "), job.getString("reason"));
    assertTrue(job.getString("reason").contains("1.2.840.10008.1.2.4.80"), job.getString("reason"));
    assertEquals(1, job.getInteger("attempts"), "not decodable is not retried");
  }

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  @Test
  void aModelThatThrowsOrAnswersTheWrongShapeFailsItsJobAndOthersGoOn() throws Exception {
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study"), "PH-F");
    Dcmtk.Result push = Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files);
    assertTrue(push.ok(), push.output());
    JsonArray jobs = fx.awaitJobs(study.studyUid, 5);
    JsonObject throwing = fx.jobOf(jobs, "faulty-throws");
    assertEquals("failed", throwing.getString("state"), throwing.encodePrettily());
    assertTrue(throwing.getString("reason").contains("synthetic failure: input outside [-1, 1]"), throwing.getString("reason"));
    assertEquals(1, throwing.getInteger("attempts"), "a model that throws is not retried");
    JsonObject wrong = fx.jobOf(jobs, "faulty-wrong-shape");
    assertEquals("failed", wrong.getString("state"), wrong.encodePrettily());
    assertTrue(wrong.getString("reason").contains("output of 3 values per sample, manifest declares [2]"), wrong.getString("reason"));
    JsonObject hangs = fx.jobOf(jobs, "faulty-hangs");
    assertEquals("failed", hangs.getString("state"), hangs.encodePrettily());
    assertTrue(hangs.getString("reason").contains("took longer than 20 s"), hangs.getString("reason"));
    JsonObject good = fx.jobOf(jobs, "lesion-cls-onnx");
    assertEquals("done", good.getString("state"), good.encodePrettily());
    JsonObject uncoded = fx.jobOf(jobs, "densenet121-chexnet");
    assertEquals("done", uncoded.getString("state"), uncoded.encodePrettily());
    JsonObject infiltration = uncoded.getJsonObject("result").getJsonArray("findings").getJsonObject(3);
    assertEquals("Infiltration", infiltration.getString("label"));
    assertEquals("99IMAGO", infiltration.getJsonObject("code").getString("scheme"), "an uncoded label gets a private code");
    JsonObject srObject = uncoded.getJsonObject("result").getJsonArray("objects").getJsonObject(0);
    Path file = tmp.resolve("uncoded-sr.dcm");
    Files.write(file, fx.wado(study.studyUid, srObject.getString("seriesInstanceUID"), srObject.getString("sopInstanceUID")));
    Dcmtk.Result verify = Dcmtk.dciodvfy(file);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(verify.output()), verify.output());
    // Only the good models' SRs are in the study.
    JsonArray sr = new JsonArray(fx.get("/dicomweb/studies/" + study.studyUid + "/series?Modality=SR",
        fx.hospital).body());
    assertEquals(2, sr.size(), sr.encodePrettily());
    String maps = Files.readString(Path.of("/proc/self/maps"));
    for (String engine : List.of("libtorch", "onnxruntime", "jnind4j")) {
      assertTrue(!maps.contains(engine), engine + " is mapped into the server: a model ran outside its sandbox");
    }
  }
}
