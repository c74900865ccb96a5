package imago.core.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** A dcmtk storescp as a reference SCP or a C-STORE destination (e.g. for C-MOVE); stopped by {@link #close}. */
public final class Storescp implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path outputDir;
  private final Path log;

  private Storescp(Process process, int port, Path outputDir, Path log) {
    this.process = process;
    this.port = port;
    this.outputDir = outputDir;
    this.log = log;
  }

  public Process process() {
    return process;
  }

  public int port() {
    return port;
  }

  public Path outputDir() {
    return outputDir;
  }

  public String output() {
    return Dcmtk.readLog(log);
  }

  /** SOP Instance UIDs of the files received so far (storescp names them {@code <modality>.<uid>}). */
  public Set<String> receivedUids() {
    try (var files = Files.list(outputDir)) {
      Set<String> uids = new LinkedHashSet<>();
      files.map(f -> f.getFileName().toString()).filter(n -> n.indexOf('.') > 0)
          .forEach(n -> uids.add(n.substring(n.indexOf('.') + 1)));
      return uids;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Dcmtk.deleteQuietly(log);
  }

  /**
   * Starts storescp ({@code -v}) on {@code port} (all interfaces: dcmtk has no bind option) with
   * AE title {@code aeTitle}, writing what it receives into {@code outputDir}; returns once it
   * accepts connections. Add {@code -pm} to accept SOP classes it does not know (private ones).
   */
  public static Storescp start(int port, String aeTitle, Path outputDir, String... extraArgs) {
    Path log = null;
    try {
      Files.createDirectories(outputDir);
      log = Files.createTempFile("storescp", ".log");
      List<String> command = new ArrayList<>(List.of("storescp", "-v", "-aet", aeTitle, "-od", outputDir.toString()));
      command.addAll(Arrays.asList(extraArgs));
      command.add(Integer.toString(port));
      Storescp scp = new Storescp(Dcmtk.start(command, log), port, outputDir, log);
      try {
        Eventually.eventually(Duration.ofSeconds(10), "storescp listens on port " + port, () -> {
          if (!scp.process.isAlive()) return true;
          try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
          }
        });
      } catch (AssertionError notListening) {
        scp.close();
        throw notListening;
      }
      if (!scp.process.isAlive()) {
        String out = scp.output();
        scp.close();
        throw new IllegalStateException("storescp exited: " + out);
      }
      return scp;
    } catch (IOException e) {
      Dcmtk.deleteQuietly(log);
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
