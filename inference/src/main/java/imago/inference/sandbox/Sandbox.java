package imago.inference.sandbox;

import imago.inference.engine.EngineConfig;
import imago.inference.engine.Framework;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ModelLoadException;
import imago.inference.engine.ModelLoader;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
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
  private final ScheduledExecutorService timer = timer();
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
      int groups = CpuLimit.sweep();
      if (groups > 0) LOG.info("event=sandbox.cgroups.swept removed={} (left by Imago processes that were killed)", groups);
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
    return load(framework, artifact, inputName, engines.threads());
  }

  /** A sandbox of its own, whose engine has {@code threads} intra-op threads and a CPU quota of as many cores. */
  @Override
  public LoadedModel load(Framework framework, Path artifact, String inputName, int threads) throws ModelLoadException {
    Integer gpu = null;
    if (framework == Framework.TORCHSCRIPT || framework == Framework.ONNX) {
      long gpus = devices().stream().filter(d -> d.startsWith("gpu")).count();
      if (gpus > 0) gpu = Math.floorMod(nextGpu.getAndIncrement(), (int) gpus);
    }
    SandboxedModel sandbox = open(artifact, gpu, threads);
    try {
      sandbox.load(framework, inputName, threads);
      return sandbox;
    } catch (ModelLoadException | RuntimeException e) {
      sandbox.close();
      throw e;
    }
  }

  @Override
  public boolean isolatesLoads() {
    return true;
  }

  /** A sandbox started and connected, holding a copy of {@code artifact} (null: none), nothing loaded yet. */
  private SandboxedModel open(Path artifact, Integer gpu, int threads) throws ModelLoadException {
    SandboxRuntime rt = null;
    Path work = null;
    ServerSocketChannel listener = null;
    try {
      rt = runtime();
      // The folder is filled while it is still root's: the artifact's copy and the socket the sandbox talks over.
      work = rt.newWorkDir();
      Path socket = work.resolve("sandbox.sock");
      listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
      rt.own(socket);
      Path copy = rt.handOver(artifact, work);
      Process process = start(rt, work, gpu, rt.command(work, SandboxMain.class.getName(), socket.toString()));
      // Only this process is told the secret (on its stdin): a sandbox of another model cannot pass for it on the socket.
      String secret = java.util.HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(16));
      try (var stdin = process.getOutputStream()) {
        stdin.write((secret + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      CpuLimit cpu = CpuLimit.create(threads).orElse(null);
      return SandboxedModel.connect(process, listener, secret, work, copy, cpu, rt, timer);
    } catch (IOException e) {
      if (listener != null) closeQuietly(listener);
      if (rt != null) rt.delete(work);
      throw new ModelLoadException("the model's sandbox could not start: " + e.getMessage(), e);
    }
  }

  /** One thread for every sandbox's timeouts; a cancelled one leaves the queue at once (one per batch otherwise piles up). */
  private static ScheduledExecutorService timer() {
    java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, "sandbox-timeouts");
      thread.setDaemon(true);
      return thread;
    });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private static Process start(SandboxRuntime rt, Path work, Integer gpu, List<String> command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
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
    // A sandbox that loads nothing and is asked for the engine's devices, under the same timeouts.
    try (SandboxedModel probe = open(null, null, engines.threads())) {
      devices = probe.devices(engines.cacheDir());
    } catch (ModelLoadException | RuntimeException e) {
      LOG.warn("event=sandbox.devices.failed reason=\"{}\" note=\"models run on the CPU\"", e.getMessage());
      devices = List.of("cpu()");
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
