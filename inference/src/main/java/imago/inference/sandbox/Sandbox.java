package imago.inference.sandbox;

import imago.inference.engine.EngineConfig;
import imago.inference.engine.Framework;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ModelLoadException;
import imago.inference.engine.ModelLoader;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every model in a sandbox process of its own (DESIGN invariant 6): a researcher's artifact is
 * parsed and run there, never in the server. The process has no network (an empty network
 * namespace), runs as {@code inference.sandbox.user} with no capabilities and no new privileges
 * when the server runs as root, cannot read Imago's data folder (secrets, index, objects), gets
 * none of the server's environment (database and S3 credentials), and runs under memory, file and
 * CPU-priority limits and a timeout per call. It receives a copy of the artifact and tensors over a
 * pipe, and sends tensors back.
 */
public final class Sandbox implements ModelLoader, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);

  private final SandboxConfig config;
  private final EngineConfig engines;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sandbox-timeouts");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger nextGpu = new AtomicInteger();
  private SandboxRuntime runtime;
  private List<String> devices;

  public Sandbox(SandboxConfig config, EngineConfig engines) {
    this.config = config;
    this.engines = engines;
  }

  private synchronized SandboxRuntime runtime() throws IOException {
    if (runtime == null) {
      runtime = SandboxRuntime.prepare(config, engines);
      runtime.sweep();
      boolean quota;
      try (CpuLimit probe = CpuLimit.create(engines.threads()).orElse(null)) {
        quota = probe != null;
      }
      LOG.info("event=sandbox.ready ownUser={} user={} memoryBytes={} cpuQuota={} callTimeout={}", runtime.ownUser(),
          runtime.ownUser() ? config.user() : "(the server's, in a user namespace)", config.memoryBytes(),
          quota ? engines.threads() + " cores" : "none (no writable cgroup cpu controller: nice 10 only)", config.callTimeout());
    }
    return runtime;
  }

  @Override
  public LoadedModel load(Framework framework, Path artifact, String inputName) throws ModelLoadException {
    Path work = null;
    try {
      SandboxRuntime rt = runtime();
      work = rt.newWorkDir();
      Path copy = rt.handOver(artifact, work);
      Integer gpu = null;
      if (framework == Framework.TORCHSCRIPT || framework == Framework.ONNX) {
        long gpus = devices().stream().filter(d -> d.startsWith("gpu")).count();
        if (gpus > 0) gpu = Math.floorMod(nextGpu.getAndIncrement(), (int) gpus);
      }
      Process process = start(rt, work, gpu);
      // Into its CPU quota before it is sent anything to load: its engine threads start there.
      CpuLimit cpu = CpuLimit.create(engines.threads()).orElse(null);
      try {
        if (cpu != null) cpu.join(process.pid());
      } catch (IOException e) {
        process.destroyForcibly();
        cpu.close();
        throw e;
      }
      return SandboxedModel.start(process, work, cpu, framework, copy, inputName, rt, timer);
    } catch (IOException e) {
      SandboxRuntime.deleteTree(work);
      throw new ModelLoadException("the model's sandbox could not start: " + e.getMessage(), e);
    }
  }

  private static Process start(SandboxRuntime rt, Path work, Integer gpu) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(rt.command(work)).directory(work.toFile());
    pb.environment().clear();
    pb.environment().putAll(rt.environment(work, gpu));
    return pb.start();
  }

  /**
   * The GPUs sandboxes can use, asked of a sandbox once (the engines' own count); just the CPU
   * when GPUs are off or the machine has no NVIDIA driver, without starting one.
   */
  @Override
  public synchronized List<String> devices() {
    if (devices != null) return devices;
    if (!engines.useGpu() || !hasNvidiaDriver()) return devices = List.of("cpu()");
    Path work = null;
    try {
      SandboxRuntime rt = runtime();
      work = rt.newWorkDir();
      Process p = start(rt, work, null);
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(p.getInputStream()));
           DataOutputStream out = new DataOutputStream(p.getOutputStream())) {
        if (in.readInt() != SandboxProtocol.HELLO) throw new IOException("no sandbox protocol");
        out.writeByte(SandboxProtocol.DEVICES);
        SandboxProtocol.writeText(out, engines.cacheDir().toString());
        out.flush();
        if (in.readByte() != SandboxProtocol.OK) throw new IOException("device probe failed");
        List<String> found = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) found.add(SandboxProtocol.readText(in));
        out.writeByte(SandboxProtocol.QUIT);
        out.flush();
        devices = List.copyOf(found);
      } finally {
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
      }
    } catch (IOException e) {
      LOG.warn("event=sandbox.devices.failed reason=\"{}\" note=\"models run on the CPU\"", e.getMessage());
      devices = List.of("cpu()");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      devices = List.of("cpu()");
    } finally {
      SandboxRuntime.deleteTree(work);
    }
    return devices;
  }

  private static boolean hasNvidiaDriver() {
    Path gpus = Path.of("/proc/driver/nvidia/gpus");
    try (var list = Files.list(gpus)) {
      return list.findAny().isPresent();
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
