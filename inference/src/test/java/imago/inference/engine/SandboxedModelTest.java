package imago.inference.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import imago.inference.sandbox.Sandbox;
import imago.inference.sandbox.SandboxConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model in its sandbox answers exactly what the same engine answers in this process (tensors
 * cross the pipe bit for bit); a sandbox that dies fails its call with how it ended, and a model
 * that does not load says why, as the engine put it.
 */
class SandboxedModelTest {
  static Sandbox sandbox;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    sandbox = new Sandbox(SandboxConfig.defaults(), new EngineConfig(2,
        TestEngines.repoRoot().resolve(".cache").resolve("engines"), false));
  }

  @AfterAll
  static void stop() {
    sandbox.close();
  }

  @ParameterizedTest
  @EnumSource(value = Framework.class, names = {"TORCHSCRIPT", "ONNX", "KERAS_H5"})
  void aSandboxedModelAnswersBitForBitWhatTheEngineAnswersInProcess(Framework framework) throws Exception {
    ReferenceModels.Case c = ReferenceModels.any(framework);
    try (LoadedModel inside = sandbox.load(framework, c.artifact(), null);
         LoadedModel here = TestEngines.get().load(framework, c.artifact(), null)) {
      Tensor input = c.in();
      Tensor a = inside.predict(input);
      Tensor b = here.predict(input);
      assertTrue(a.sameAs(b), framework + ": " + java.util.Arrays.toString(a.data()) + " vs " + java.util.Arrays.toString(b.data()));
      assertArrayEquals(here.declaredInputShape().orElse(null), inside.declaredInputShape().orElse(null));
      assertTrue(inside.engine().endsWith("(sandbox)"), inside.engine());
      assertTrue(inside.processResidentBytes().orElse(0) > 0, "the sandbox's own memory is measured");
    }
  }

  @Test
  void aSandboxRunsUnderAHardCpuQuotaOfItsEngineThreads() throws Exception {
    assumeTrue(Files.isWritable(Path.of("/sys/fs/cgroup/cpu")), "no writable cgroup v1 cpu controller on this machine");
    ReferenceModels.Case c = ReferenceModels.any(Framework.ONNX);
    try (LoadedModel model = sandbox.load(Framework.ONNX, c.artifact(), null)) {
      long pid = ProcessHandle.current().children().filter(ProcessHandle::isAlive).findFirst().orElseThrow().pid();
      String group = Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup")).stream()
          .filter(l -> l.matches("\\d+:cpu(,cpuacct)?:.*")).findFirst().orElseThrow().replaceAll("^\\d+:[^:]*:", "");
      assertTrue(group.contains("imago-sandbox-"), group);
      assertEquals("200000", Files.readString(Path.of("/sys/fs/cgroup/cpu" + group, "cpu.cfs_quota_us")).trim(),
          "two engine threads: two cores' worth of each 100 ms");
    }
    // a CPU replica's share: one thread, one core
    try (LoadedModel replica = sandbox.load(Framework.ONNX, c.artifact(), null, 1)) {
      long pid = ProcessHandle.current().children().filter(ProcessHandle::isAlive).findFirst().orElseThrow().pid();
      String group = Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup")).stream()
          .filter(l -> l.matches("\\d+:cpu(,cpuacct)?:.*")).findFirst().orElseThrow().replaceAll("^\\d+:[^:]*:", "");
      assertEquals("100000", Files.readString(Path.of("/sys/fs/cgroup/cpu" + group, "cpu.cfs_quota_us")).trim());
    }
  }

  @Test
  void aSandboxThatDiesFailsItsCallWithHowItEnded() throws Exception {
    ReferenceModels.Case c = ReferenceModels.any(Framework.ONNX);
    try (LoadedModel model = sandbox.load(Framework.ONNX, c.artifact(), null)) {
      // The test JVM's one child: the sandbox (another user's, so its command line is not ours to read).
      ProcessHandle child = ProcessHandle.current().children().filter(ProcessHandle::isAlive).findFirst().orElseThrow();
      child.destroyForcibly();
      child.onExit().get();
      InferenceException e = assertThrows(InferenceException.class, () -> model.predict(c.in()));
      assertTrue(e.getMessage().contains("signal 9"), e.getMessage());
      assertFalse(model.usable(), "its host loads the model afresh");
    }
  }

  @Test
  void anArtifactThatDoesNotLoadSaysWhyAsTheEngineDoes() throws Exception {
    Path junk = Files.write(tmp.resolve("model.onnx"), "not an onnx graph".getBytes());
    ModelLoadException inside = assertThrows(ModelLoadException.class, () -> sandbox.load(Framework.ONNX, junk, null));
    ModelLoadException here = assertThrows(ModelLoadException.class, () -> TestEngines.get().load(Framework.ONNX, junk, null));
    assertEquals(here.getMessage(), inside.getMessage());
  }
}
