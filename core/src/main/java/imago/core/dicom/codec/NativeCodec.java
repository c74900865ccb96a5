package imago.core.dicom.codec;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the compressed frames PixelMed cannot (JPEG-LS lossless and near-lossless, 12-bit JPEG
 * Extended; RLE, JPEG and JPEG 2000 files PixelMed fails on) with GDCM's Java bindings from Debian, in helper processes of its own: Debian's GDCM
 * is built with assertions on, and a malformed codestream that trips one aborts its process
 * (seen while writing this class: {@code gdcm::DataElement::SetVLToUndefined} asserts). A helper
 * that dies or overruns {@link #CALL_TIMEOUT} costs that one frame an error and is replaced; the
 * server goes on. Up to {@code helpers} frames decode at once, each in its own helper.
 *
 * <p>Helpers start on first use (about half a second each), get none of the server's environment
 * (database and S3 credentials), and exit when the server closes their stdin.
 */
public final class NativeCodec implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NativeCodec.class);

  /** The transfer syntaxes sent to GDCM first: PixelMed 20220618 has no reader for them. */
  public static final Set<String> SYNTAXES = Set.of(
      "1.2.840.10008.1.2.4.80", // JPEG-LS lossless
      "1.2.840.10008.1.2.4.81", // JPEG-LS near-lossless
      "1.2.840.10008.1.2.4.51"); // JPEG Extended (process 2 and 4: 12-bit), the JDK's reader takes 8 bits only

  /**
   * Every encapsulated syntax GDCM decodes: the others are tried with GDCM when PixelMed fails on
   * a file (pydicom's corpus: RLE of 16-bit colour and of 32-bit samples, a JPEG 2000 codestream
   * jai-imageio calls not Part 1 compliant).
   */
  public static final Set<String> DECODABLE = Set.of(
      "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
      "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
      "1.2.840.10008.1.2.5");

  /** How long one frame may take; a helper past it is killed. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  private static final Object SHARED_LOCK = new Object();
  private static NativeCodec shared;

  private final int helpers;
  private final Semaphore permits;
  private final Deque<Helper> idle = new ArrayDeque<>();
  private final List<Helper> all = new ArrayList<>();
  private final ScheduledExecutorService timer = timer();
  private boolean closed;

  public NativeCodec(int helpers) {
    if (helpers < 1) throw new IllegalArgumentException("helpers " + helpers);
    this.helpers = helpers;
    this.permits = new Semaphore(helpers, true);
  }

  /** One thread for every helper's watchdog; a cancelled one leaves the queue at once (one per frame otherwise piles up). */
  private static ScheduledExecutorService timer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, "codec-timeouts");
      thread.setDaemon(true);
      return thread;
    });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  /** The process's codec: as many helpers as cores, at most 4; closed when the JVM exits. */
  public static NativeCodec shared() {
    synchronized (SHARED_LOCK) {
      if (shared == null) {
        shared = new NativeCodec(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
        Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "codec-close"));
      }
      return shared;
    }
  }

  /** Whether frames of this transfer syntax go to GDCM rather than PixelMed. */
  public static boolean handles(String transferSyntax) {
    return transferSyntax != null && SYNTAXES.contains(transferSyntax.trim());
  }

  /** Whether GDCM decodes frames of this transfer syntax (first, or when PixelMed fails). */
  public static boolean decodes(String transferSyntax) {
    return transferSyntax != null && DECODABLE.contains(transferSyntax.trim());
  }

  /** A decoded frame: native little-endian samples and how they are laid out. */
  public record Frame(byte[] pixels, String photometric, int planarConfiguration) {}

  /**
   * Decodes one frame's codestream (its fragments joined).
   *
   * @throws CodecException the codestream or its format is refused or undecodable, or its helper
   *     died or overran; the next call gets a fresh helper
   */
  public Frame decode(String transferSyntax, FrameFormat format, byte[] codestream) throws CodecException {
    String refused = format.refusal();
    if (refused != null) throw new CodecException("not decoded: " + refused);
    if (!decodes(transferSyntax)) throw new CodecException("not a syntax the codec helper decodes: " + transferSyntax);
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CodecException("interrupted while waiting for a codec helper", e);
    }
    Helper helper = null;
    try {
      helper = take();
      Frame frame = helper.call(new CodecProtocol.Request(transferSyntax.trim(), format, codestream), timer);
      if (frame.pixels().length != format.frameBytes()) {
        throw new CodecException("the frame decoded to " + frame.pixels().length + " bytes, not " + format.frameBytes());
      }
      return frame;
    } catch (IOException e) {
      String why = helper == null ? "did not start: " + e.getMessage()
          : helper.timedOut ? "took longer than " + CALL_TIMEOUT.toSeconds() + " s" : "ended while decoding (" + helper.ending() + ")";
      if (helper != null) {
        forget(helper);
        LOG.warn("event=codec.helper.lost syntax={} reason=\"{}\"", transferSyntax, why);
        helper = null;
      }
      throw new CodecException("the " + transferSyntax + " frame could not be decoded: the codec helper " + why, e);
    } finally {
      if (helper != null) give(helper);
      permits.release();
    }
  }

  private Helper take() throws IOException {
    synchronized (this) {
      if (closed) throw new IOException("the codec is closed");
      Helper h = idle.pollFirst();
      if (h != null && h.process.isAlive()) return h;
      if (h != null) forget(h);
    }
    Helper h = Helper.start();
    synchronized (this) {
      if (closed) {
        h.kill();
        throw new IOException("the codec is closed");
      }
      all.add(h);
    }
    return h;
  }

  private synchronized void give(Helper h) {
    if (closed) h.kill();
    else idle.addFirst(h);
  }

  private synchronized void forget(Helper h) {
    all.remove(h);
    h.kill();
  }

  /** Processes currently started (for tests and metrics). */
  public synchronized int started() {
    all.removeIf(h -> !h.process.isAlive());
    return all.size();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
      for (Helper h : all) h.kill();
      all.clear();
      idle.clear();
    }
    timer.shutdownNow();
  }

  /** One helper process and its pipes. */
  private static final class Helper {
    final Process process;
    final DataOutputStream out;
    final DataInputStream in;
    volatile boolean timedOut;

    private Helper(Process process) {
      this.process = process;
      this.out = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
      this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
    }

    static Helper start() throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      // an aborted helper leaves no core file (it would hold pixel data) and no crash log in the server's folder
      String tmp = System.getProperty("java.io.tmpdir");
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + Path.of(tmp, "imago-codec-helper-%p.log"),
          "-cp", System.getProperty("java.class.path"), CodecHelperMain.class.getName()).directory(new java.io.File(tmp));
      pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("LANG") && !k.equals("LD_LIBRARY_PATH"));
      Helper h = new Helper(pb.start());
      // GDCM warns on stderr about what it decodes anyway (a 12-bit JPEG whose header says 16 bits):
      // kept at debug level, one line each, so a study of such images does not flood the log
      Thread pump = new Thread(() -> {
        try (var lines = new BufferedReader(new InputStreamReader(h.process.getErrorStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = lines.readLine()) != null) {
            if (!line.isBlank()) LOG.debug("event=codec.helper.says pid={} line=\"{}\"", h.process.pid(), line.strip());
          }
        } catch (IOException ignored) {
          // the helper ended
        }
      }, "codec-helper-stderr");
      pump.setDaemon(true);
      pump.start();
      try {
        int hello = h.in.readInt();
        if (hello != CodecProtocol.HELLO) throw new IOException("the codec helper said " + Integer.toHexString(hello));
      } catch (IOException e) {
        h.kill();
        throw new IOException("the codec helper did not start (is Debian's libgdcm-java installed?): " + e.getMessage(), e);
      }
      return h;
    }

    Frame call(CodecProtocol.Request request, ScheduledExecutorService timer) throws IOException, CodecException {
      ScheduledFuture<?> watchdog = timer.schedule(() -> {
        timedOut = true;
        process.destroyForcibly();
      }, CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      try {
        CodecProtocol.write(out, request);
        byte status = in.readByte();
        if (status == CodecProtocol.FAILED) throw new CodecException(in.readUTF());
        if (status != CodecProtocol.OK) throw new IOException("status " + status);
        String photometric = in.readUTF();
        int planar = in.readInt();
        return new Frame(CodecProtocol.bytes(in), photometric, planar);
      } finally {
        watchdog.cancel(false);
      }
    }

    /** How the process ended: its exit status (134 is an abort, GDCM's failed assertions among them). */
    String ending() {
      try {
        if (process.waitFor(2, TimeUnit.SECONDS)) return "exit status " + process.exitValue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "its pipe closed";
    }

    void kill() {
      process.destroyForcibly();
    }
  }
}
