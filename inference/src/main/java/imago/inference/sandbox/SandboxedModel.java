package imago.inference.sandbox;

import imago.inference.engine.Framework;
import imago.inference.engine.InferenceException;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ModelLoadException;
import imago.inference.engine.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model loaded in a sandbox process of its own, talked to over a Unix-domain socket. Each call
 * sends the batch and waits for the answer within the call timeout; a sandbox that overruns it is
 * killed (with everything it started: its PID namespace dies with it), and one that dies (a crash,
 * an out-of-memory kill, a model calling exit) fails the call with what happened and the last
 * lines it printed. Either way the model is then unusable and its host loads it afresh.
 */
final class SandboxedModel implements LoadedModel {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxedModel.class);
  private static final int TAIL_LINES = 20;

  private final Process process;
  private final Path work;
  private final Path artifact;
  private final SandboxRuntime runtime;
  /** Its CPU quota's control group; null where the machine gives none. */
  private final CpuLimit cpu;
  private final ScheduledExecutorService timer;
  private final Deque<String> tail = new ArrayDeque<>();
  private final AtomicBoolean timedOut = new AtomicBoolean();
  private String label;
  private SocketChannel channel;
  private DataInputStream in;
  private DataOutputStream out;
  private Framework framework;
  private String engine;
  private String device;
  private long[] declared;
  private volatile String broken;

  private SandboxedModel(Process process, Path work, Path artifact, CpuLimit cpu, SandboxRuntime runtime,
      ScheduledExecutorService timer) {
    this.process = process;
    this.work = work;
    this.artifact = artifact;
    this.cpu = cpu;
    this.runtime = runtime;
    this.timer = timer;
    this.label = artifact == null ? "probe" : String.valueOf(artifact.getFileName());
    Thread logs = new Thread(this::drainOutput, "sandbox-output-" + process.pid());
    logs.setDaemon(true);
    logs.start();
  }

  /**
   * Waits, within the load timeout, for the sandbox started as {@code process} to connect to
   * {@code listener} and greet; it then joins its CPU quota, before it is sent anything to load.
   */
  static SandboxedModel connect(Process process, ServerSocketChannel listener, String secret, Path work, Path artifact,
      CpuLimit cpu, SandboxRuntime runtime, ScheduledExecutorService timer) throws ModelLoadException {
    SandboxedModel m = new SandboxedModel(process, work, artifact, cpu, runtime, timer);
    try (listener) {
      m.exchange(runtime.config().loadTimeout(), listener, () -> {
        m.channel = listener.accept();
        m.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(m.channel), 1 << 16));
        m.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(m.channel), 1 << 16));
        if (m.in.readInt() != SandboxProtocol.HELLO) throw new IOException("the sandbox did not start speaking its protocol");
        if (!java.security.MessageDigest.isEqual(secret.getBytes(StandardCharsets.US_ASCII),
            SandboxProtocol.readText(m.in).getBytes(StandardCharsets.US_ASCII))) {
          throw new IOException("a process that is not this sandbox connected to its socket");
        }
        if (cpu != null) {
          cpu.join(process.pid());
          for (ProcessHandle h : (Iterable<ProcessHandle>) process.descendants()::iterator) cpu.join(h.pid());
        }
        return null;
      });
      return m;
    } catch (IOException e) {
      String why = m.ended(e, "start", runtime.config().loadTimeout());
      m.close();
      throw new ModelLoadException(why);
    }
  }

  /** Loads the artifact as {@code framework} in the sandbox, its engine with {@code threads} threads, within the load timeout. */
  void load(Framework framework, String inputName, int threads) throws ModelLoadException {
    this.framework = framework;
    this.label = framework.id() + ":" + artifact.getFileName();
    try {
      exchange(runtime.config().loadTimeout(), null, () -> {
        out.writeByte(SandboxProtocol.LOAD);
        SandboxProtocol.writeText(out, framework.id());
        SandboxProtocol.writeText(out, artifact.toString());
        SandboxProtocol.writeText(out, inputName == null ? "" : inputName);
        out.writeInt(threads);
        SandboxProtocol.writeText(out, runtime.engines().cacheDir().toString());
        out.writeBoolean(runtime.engines().useGpu());
        out.flush();
        if (in.readByte() != SandboxProtocol.OK) {
          in.readByte();
          throw new Refused(SandboxProtocol.readText(in));
        }
        engine = SandboxProtocol.readText(in);
        device = SandboxProtocol.readText(in);
        int rank = in.readByte();
        if (rank >= 0) {
          declared = new long[rank];
          for (int i = 0; i < rank; i++) declared[i] = in.readLong();
        }
        return null;
      });
      LOG.info("event=sandbox.loaded model={} pid={} engine=\"{}\"", label, process.pid(), engine);
    } catch (Refused e) {
      throw new ModelLoadException(e.getMessage());
    } catch (IOException e) {
      throw new ModelLoadException(ended(e, "load", runtime.config().loadTimeout()));
    }
  }

  /** The devices the engines in the sandbox report (a sandbox with nothing loaded). */
  List<String> devices(Path cache) throws ModelLoadException {
    try {
      return exchange(runtime.config().loadTimeout(), null, () -> {
        out.writeByte(SandboxProtocol.DEVICES);
        SandboxProtocol.writeText(out, cache.toString());
        out.flush();
        if (in.readByte() != SandboxProtocol.OK) throw new IOException("device probe failed");
        List<String> found = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) found.add(SandboxProtocol.readText(in));
        return List.copyOf(found);
      });
    } catch (IOException e) {
      throw new ModelLoadException(ended(e, "device probe", runtime.config().loadTimeout()));
    }
  }

  /** The model's own refusal (it does not load, or a batch fails in the engine), reported by the sandbox. */
  private static final class Refused extends IOException {
    Refused(String message) {
      super(message);
    }
  }

  @FunctionalInterface
  private interface Exchange<T> {
    T run() throws IOException;
  }

  /**
   * Runs one request and reply; past {@code timeout} the sandbox is killed (and {@code alsoClose},
   * a listener still waiting for it, closed), so the exchange ends in an I/O error.
   */
  private <T> T exchange(Duration timeout, java.io.Closeable alsoClose, Exchange<T> exchange) throws IOException {
    ScheduledFuture<?> kill = timer.schedule(() -> {
      timedOut.set(true);
      process.destroyForcibly();
      try {
        if (alsoClose != null) alsoClose.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      return exchange.run();
    } finally {
      kill.cancel(false);
    }
  }

  @Override
  public synchronized Tensor predict(Tensor input) throws InferenceException {
    if (broken != null) throw new InferenceException(broken);
    try {
      return exchange(runtime.config().callTimeout(), null, () -> {
        out.writeByte(SandboxProtocol.PREDICT);
        SandboxProtocol.writeTensor(out, input);
        out.flush();
        if (in.readByte() == SandboxProtocol.OK) return SandboxProtocol.readTensor(in);
        in.readByte();
        throw new Refused(SandboxProtocol.readText(in));
      });
    } catch (Refused e) {
      throw new InferenceException(e.getMessage());
    } catch (IOException e) {
      broken = ended(e, "run", runtime.config().callTimeout());
      process.destroyForcibly();
      LOG.warn("event=sandbox.failed model={} pid={} reason=\"{}\"", label, process.pid(), broken);
      throw new InferenceException(broken);
    }
  }

  /** What became of the sandbox, for the job's or the validation's reason. */
  private String ended(IOException e, String what, Duration timeout) {
    if (timedOut.get()) {
      return "the model's sandbox was stopped: its " + what + " took longer than " + timeout.toSeconds() + " s";
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
    }
    String last;
    synchronized (tail) {
      last = tail.isEmpty() ? "" : ": " + tail.getLast();
    }
    String exit = process.isAlive() ? "broke its protocol (" + e.getMessage() + ")" : "ended with exit status "
        + process.exitValue() + (process.exitValue() > 128 ? " (signal " + (process.exitValue() - 128) + ")" : "");
    return "the model's sandbox " + exit + " during " + what + last;
  }

  /** What the sandbox prints (its stdout and stderr: engines' messages), kept for reasons and logged at debug. */
  private void drainOutput() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        String clipped = line.length() > 300 ? line.substring(0, 300) + "..." : line;
        synchronized (tail) {
          if (tail.size() == TAIL_LINES) tail.removeFirst();
          tail.addLast(clipped);
        }
        LOG.debug("event=sandbox.output model={} pid={} line=\"{}\"", label, process.pid(), clipped.replace('"', '\''));
      }
    } catch (IOException e) {
      // the sandbox is gone
    }
  }

  /** Whether the sandbox is still there to run batches. */
  @Override
  public boolean usable() {
    return broken == null && process.isAlive();
  }

  /** The sandbox JVM's resident memory (the first process of its namespace, below unshare). */
  @Override
  public OptionalLong processResidentBytes() {
    Optional<ProcessHandle> jvm = process.children().findFirst();
    if (jvm.isEmpty()) return OptionalLong.empty();
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(jvm.get().pid()), "status"))) {
        if (line.startsWith("VmRSS:")) return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
      }
    } catch (IOException | RuntimeException e) {
      // gone, or not Linux
    }
    return OptionalLong.empty();
  }

  @Override
  public Framework framework() {
    return framework;
  }

  @Override
  public String engine() {
    return engine + " (sandbox)";
  }

  @Override
  public String device() {
    return device;
  }

  @Override
  public Optional<long[]> declaredInputShape() {
    return Optional.ofNullable(declared == null ? null : declared.clone());
  }

  /**
   * Asks the sandbox to quit, then kills it if it has not within a few seconds (its whole PID
   * namespace goes with it); removes its folder, as its user, and its CPU group.
   */
  @Override
  public void close() {
    if (out != null && process.isAlive() && broken == null) {
      synchronized (this) {
        try {
          out.writeByte(SandboxProtocol.QUIT);
          out.flush();
        } catch (IOException ignored) {
          // already gone
        }
      }
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      if (channel != null) channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    runtime.delete(work);
    if (cpu != null) cpu.close();
  }
}
