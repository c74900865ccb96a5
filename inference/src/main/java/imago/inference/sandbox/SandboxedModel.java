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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model loaded in a sandbox process of its own. Each call sends the batch and waits for the
 * answer within the call timeout; a sandbox that overruns it is killed, and one that dies (a
 * crash, an out-of-memory kill, a model calling exit) fails the call with what happened and the
 * last lines it printed. Either way the model is then unusable and its host loads it afresh.
 */
final class SandboxedModel implements LoadedModel {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxedModel.class);
  private static final int TAIL_LINES = 20;

  private final Framework framework;
  private final Process process;
  private final Path work;
  /** Its CPU quota's control group; null where the machine gives none. */
  private final CpuLimit cpu;
  private final String label;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final ScheduledExecutorService timer;
  private final Duration callTimeout;
  private final Deque<String> tail = new ArrayDeque<>();
  private final AtomicBoolean timedOut = new AtomicBoolean();
  private String engine;
  private String device;
  private long[] declared;
  private volatile String broken;

  private SandboxedModel(Framework framework, Process process, Path work, CpuLimit cpu, String label,
      ScheduledExecutorService timer, Duration callTimeout) {
    this.cpu = cpu;
    this.framework = framework;
    this.process = process;
    this.work = work;
    this.label = label;
    this.timer = timer;
    this.callTimeout = callTimeout;
    this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
    this.out = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
    Thread logs = new Thread(this::drainStderr, "sandbox-stderr-" + process.pid());
    logs.setDaemon(true);
    logs.start();
  }

  /** Starts {@code process}'s conversation: its hello, then the load of {@code artifact}, both within {@code loadTimeout}. */
  static SandboxedModel start(Process process, Path work, CpuLimit cpu, Framework framework, Path artifact,
      String inputName, SandboxRuntime runtime, ScheduledExecutorService timer) throws ModelLoadException {
    String label = framework.id() + ":" + artifact.getFileName();
    SandboxedModel m = new SandboxedModel(framework, process, work, cpu, label, timer, runtime.config().callTimeout());
    try {
      m.exchange(runtime.config().loadTimeout(), () -> {
        if (m.in.readInt() != SandboxProtocol.HELLO) throw new IOException("the sandbox did not start speaking its protocol");
        m.out.writeByte(SandboxProtocol.LOAD);
        SandboxProtocol.writeText(m.out, framework.id());
        SandboxProtocol.writeText(m.out, artifact.toString());
        SandboxProtocol.writeText(m.out, inputName == null ? "" : inputName);
        m.out.writeInt(runtime.engines().threads());
        SandboxProtocol.writeText(m.out, runtime.engines().cacheDir().toString());
        m.out.writeBoolean(runtime.engines().useGpu());
        m.out.flush();
        if (m.in.readByte() != SandboxProtocol.OK) {
          m.in.readByte();
          throw new LoadFailed(SandboxProtocol.readText(m.in));
        }
        m.engine = SandboxProtocol.readText(m.in);
        m.device = SandboxProtocol.readText(m.in);
        int rank = m.in.readByte();
        if (rank >= 0) {
          m.declared = new long[rank];
          for (int i = 0; i < rank; i++) m.declared[i] = m.in.readLong();
        }
        return null;
      });
      LOG.info("event=sandbox.loaded model={} pid={} engine=\"{}\"", label, process.pid(), m.engine);
      return m;
    } catch (LoadFailed e) {
      m.close();
      throw new ModelLoadException(e.getMessage());
    } catch (IOException e) {
      String why = m.ended(e, "load", runtime.config().loadTimeout());
      m.close();
      throw new ModelLoadException(why);
    }
  }

  /** A model's own load failure, reported by the sandbox (not a sandbox failure). */
  private static final class LoadFailed extends IOException {
    LoadFailed(String message) {
      super(message);
    }
  }

  @FunctionalInterface
  private interface Exchange<T> {
    T run() throws IOException;
  }

  /** Runs one request and reply; the process is killed if it takes longer than {@code timeout}. */
  private <T> T exchange(Duration timeout, Exchange<T> exchange) throws IOException {
    ScheduledFuture<?> kill = timer.schedule(() -> {
      timedOut.set(true);
      process.destroyForcibly();
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
      return exchange(callTimeout, () -> {
        out.writeByte(SandboxProtocol.PREDICT);
        SandboxProtocol.writeTensor(out, input);
        out.flush();
        if (in.readByte() == SandboxProtocol.OK) return SandboxProtocol.readTensor(in);
        in.readByte();
        throw new RunFailed(SandboxProtocol.readText(in));
      });
    } catch (RunFailed e) {
      throw new InferenceException(e.getMessage());
    } catch (IOException e) {
      broken = ended(e, "run", callTimeout);
      process.destroyForcibly();
      LOG.warn("event=sandbox.failed model={} pid={} reason=\"{}\"", label, process.pid(), broken);
      throw new InferenceException(broken);
    }
  }

  private static final class RunFailed extends IOException {
    RunFailed(String message) {
      super(message);
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

  private void drainStderr() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
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

  @Override
  public OptionalLong processResidentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
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

  /** Asks the sandbox to quit, then kills it if it has not within a few seconds; removes its folder. */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        synchronized (this) {
          out.writeByte(SandboxProtocol.QUIT);
          out.flush();
        }
      }
    } catch (IOException ignored) {
      // already gone
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    SandboxRuntime.deleteTree(work);
    if (cpu != null) cpu.close();
  }
}
