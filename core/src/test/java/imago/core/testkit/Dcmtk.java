package imago.core.testkit;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Part10;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * dcmtk (3.6.7) and dicom3tools command-line tools as real peers for tests. Every call runs
 * under a timeout, returns the exit code with stdout and stderr merged in the order the tool
 * wrote them, and leaves no temporary files behind.
 *
 * <p>storescu always runs with {@code TCP_NODELAY=1} in its environment (without it dcmtk
 * crawls at ~15 instances/s) and at {@code -v}, so {@link #storescuAttempts} can tell which
 * files got a Success C-STORE-RSP. Files go through a dcmtk command file ({@code @file}), so any
 * number of them fits; a directory among them turns on {@code +sd +r}.
 */
public final class Dcmtk {
  public static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration STORE_TIMEOUT = Duration.ofMinutes(5);
  /** Profile name in the configuration written by {@link #storescuProfileFor}. */
  public static final String PROFILE = "Imago";

  private Dcmtk() {}

  /** What a tool did: exit code (-1 when killed on timeout) and its merged stdout and stderr. */
  public record Result(int exitCode, String output, boolean timedOut) {
    public boolean ok() {
      return !timedOut && exitCode == 0;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + (timedOut ? " (timed out)" : "") + "\n" + output;
    }
  }

  /** A tool still running, e.g. a storescu for tests that kill the server mid-transfer. */
  public static final class Running implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final Path commandFile;

    private Running(Process process, Path log, Path commandFile) {
      this.process = process;
      this.log = log;
      this.commandFile = commandFile;
    }

    public Process process() {
      return process;
    }

    /** What the tool has written so far (e.g. to wait for some acknowledgements before breaking things). */
    public String outputSoFar() {
      return readLog(log);
    }

    /** Waits for the tool to end (killing it after {@code timeout}) and returns what it did. */
    public Result await(Duration timeout) {
      try {
        boolean done = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
        return new Result(done ? process.exitValue() : -1, readLog(log), !done);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new IllegalStateException("interrupted waiting for " + process.info().command().orElse("a tool"), e);
      } finally {
        deleteQuietly(commandFile);
        deleteQuietly(log);
      }
    }

    @Override
    public void close() {
      if (process.isAlive()) process.destroyForcibly();
      deleteQuietly(commandFile);
      deleteQuietly(log);
    }
  }

  /** One file storescu tried to send and the response it saw, if any. */
  public record StoreAttempt(String file, String sopInstanceUid, String status) {
    /** Success only (PS3.4 B.2.3 0x0000); warnings and failures are not acknowledgements here. */
    public boolean success() {
      return status != null && (status.equals("Success") || status.startsWith("0x0000"));
    }
  }

  public static Result echoscu(String host, int port, String callingAe, String calledAe, String... extraArgs) {
    List<String> command = new ArrayList<>(List.of("echoscu", "-v", "-aet", callingAe, "-aec", calledAe));
    command.addAll(Arrays.asList(extraArgs));
    command.addAll(List.of(host, Integer.toString(port)));
    return run(command, TOOL_TIMEOUT);
  }

  public static Result storescu(String host, int port, String callingAe, String calledAe, List<Path> files,
                                String... extraArgs) {
    return storescu(STORE_TIMEOUT, host, port, callingAe, calledAe, files, extraArgs);
  }

  public static Result storescu(Duration timeout, String host, int port, String callingAe, String calledAe,
                                List<Path> files, String... extraArgs) {
    try (Running running = storescuAsync(host, port, callingAe, calledAe, files, extraArgs)) {
      return running.await(timeout);
    }
  }

  /** Starts storescu and returns at once; {@link Running#await} collects the result. */
  public static Running storescuAsync(String host, int port, String callingAe, String calledAe, List<Path> files,
                                      String... extraArgs) {
    Path commandFile = null;
    Path log = null;
    boolean started = false;
    try {
      commandFile = Files.createTempFile("storescu-files", ".txt");
      log = Files.createTempFile("storescu", ".log");
      StringBuilder lines = new StringBuilder();
      boolean anyDirectory = false;
      for (Path f : files) {
        String p = f.toAbsolutePath().toString();
        if (p.indexOf('"') >= 0) throw new IllegalArgumentException("path with a double quote: " + p);
        lines.append('"').append(p).append("\"\n");
        anyDirectory |= Files.isDirectory(f);
      }
      Files.writeString(commandFile, lines, StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>(List.of("storescu"));
      List<String> extra = Arrays.asList(extraArgs);
      if (!extra.contains("-d") && !extra.contains("--debug")) command.add("-v");
      if (anyDirectory && !extra.contains("+sd")) command.addAll(List.of("+sd", "+r"));
      command.addAll(List.of("-aet", callingAe, "-aec", calledAe));
      command.addAll(extra);
      command.addAll(List.of(host, Integer.toString(port), "@" + commandFile));
      Running running = new Running(start(command, log), log, commandFile);
      started = true;
      return running;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start storescu (is dcmtk installed?)", e);
    } finally {
      if (!started) {
        deleteQuietly(commandFile);
        deleteQuietly(log);
      }
    }
  }

  /**
   * storescu arguments ({@code -xf <config> Imago}) proposing {@code sopClassUids} in explicit
   * and implicit VR little endian: storescu refuses SOP classes it does not know (private ones)
   * unless a configuration file names them. The file is written into {@code dir}.
   */
  public static String[] storescuProfileFor(Path dir, String... sopClassUids) {
    StringBuilder cfg = new StringBuilder("[[TransferSyntaxes]]\n[Uncompressed]\n")
        .append("TransferSyntax1 = LittleEndianExplicit\nTransferSyntax2 = LittleEndianImplicit\n\n")
        .append("[[PresentationContexts]]\n[").append(PROFILE).append("]\n");
    for (int i = 0; i < sopClassUids.length; i++) {
      cfg.append("PresentationContext").append(i + 1).append(" = ").append(sopClassUids[i]).append("\\Uncompressed\n");
    }
    cfg.append("\n[[Profiles]]\n[").append(PROFILE).append("]\nPresentationContexts = ").append(PROFILE).append('\n');
    try {
      Files.createDirectories(dir);
      Path file = Files.writeString(dir.resolve("storescu-imago.cfg"), cfg, StandardCharsets.US_ASCII);
      return new String[] {"-xf", file.toString(), PROFILE};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What findscu saw: the tool's result and each C-FIND response identifier, in order. */
  public record FindResult(Result result, List<AttributeList> responses) {}

  /**
   * findscu with {@code model} ({@code "-P"} patient root, {@code "-S"} study root) and keys as
   * findscu takes them ({@code "QueryRetrieveLevel=STUDY"}, {@code "PatientName=Rossi*"},
   * {@code "0020,000D"} for a return key); the responses are extracted ({@code -X}) into a
   * temporary folder, read back and the folder removed.
   */
  public static FindResult findscu(String host, int port, String callingAe, String calledAe, String model,
                                   String... keys) {
    return findscu(host, port, callingAe, calledAe, List.of(), model, keys);
  }

  /** The same with more options before the peer ({@code +tls key cert +cf ca}, say). */
  public static FindResult findscu(String host, int port, String callingAe, String calledAe, List<String> options,
                                   String model, String... keys) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("findscu");
      List<String> command = new ArrayList<>(List.of("findscu", "-v", model, "-aet", callingAe, "-aec", calledAe,
          "-X", "-od", dir.toString()));
      command.addAll(options);
      for (String k : keys) command.addAll(List.of("-k", k));
      command.addAll(List.of(host, Integer.toString(port)));
      Result result = run(command, TOOL_TIMEOUT);
      List<AttributeList> responses = new ArrayList<>();
      try (var files = Files.list(dir)) {
        for (Path f : files.sorted().toList()) {
          AttributeList list = new AttributeList();
          list.read(f.toString());
          responses.add(list);
        }
      }
      return new FindResult(result, responses);
    } catch (IOException e) {
      throw new UncheckedIOException("findscu failed (is dcmtk installed?)", e);
    } catch (DicomException e) {
      throw new IllegalStateException("findscu wrote a response PixelMed cannot read", e);
    } finally {
      if (dir != null) {
        try (var files = Files.list(dir)) {
          files.forEach(Dcmtk::deleteQuietly);
        } catch (IOException ignored) {
          // a temp folder left behind is harmless
        }
        deleteQuietly(dir);
      }
    }
  }

  /**
   * movescu ({@code -v}) with {@code model} ({@code "-S"} study root, {@code "-P"} patient root)
   * asking {@code calledAe} to move what {@code keys} name ({@code "QueryRetrieveLevel=STUDY"},
   * {@code "StudyInstanceUID=..."}) to {@code destinationAe}; movescu itself receives nothing.
   * {@link #retrieveFinalStatus} reads the final response from the output.
   */
  public static Result movescu(String host, int port, String callingAe, String calledAe, String destinationAe,
                               String model, String... keys) {
    List<String> command = new ArrayList<>(List.of("movescu", "-v", model, "-aet", callingAe, "-aec", calledAe,
        "-aem", destinationAe));
    for (String k : keys) command.addAll(List.of("-k", k));
    command.addAll(List.of(host, Integer.toString(port)));
    return run(command, STORE_TIMEOUT);
  }

  /**
   * getscu ({@code -v}) with {@code model} and {@code keys} as for {@link #movescu}: the instances
   * come back on the same association (getscu proposes the storage SOP classes with the SCP role)
   * and are written into {@code outputDir}, named by modality and SOP Instance UID.
   */
  public static Result getscu(String host, int port, String callingAe, String calledAe, Path outputDir, String model,
                              String... keys) {
    try {
      Files.createDirectories(outputDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new ArrayList<>(List.of("getscu", "-v", model, "-aet", callingAe, "-aec", calledAe,
        "-od", outputDir.toString()));
    for (String k : keys) command.addAll(List.of("-k", k));
    command.addAll(List.of(host, Integer.toString(port)));
    return run(command, STORE_TIMEOUT);
  }

  // movescu: "I: Received Final Move Response (Success)"; getscu has no "Final": its last
  // "I: Received C-GET Response (Success)" is the final one
  private static final Pattern FINAL_RESPONSE =
      Pattern.compile("I: Received (?:Final Move|C-GET) Response \\(([^)]*)\\)");

  /**
   * The status text of movescu's or getscu's final response ("Success", "Refused:
   * MoveDestinationUnknown", "Refused: OutOfResourcesSubOperations"...), or null.
   */
  public static String retrieveFinalStatus(String output) {
    Matcher m = FINAL_RESPONSE.matcher(output);
    String last = null;
    while (m.find()) last = m.group(1);
    return last;
  }

  /** dcmtk's SR dumper: the document tree of a structured report (e.g. {@code +Pu} adds referenced SOP Instance UIDs). */
  public static Result dsrdump(Path file, String... extraArgs) {
    List<String> command = new ArrayList<>(List.of("dsrdump"));
    command.addAll(Arrays.asList(extraArgs));
    command.add(file.toString());
    return run(command, TOOL_TIMEOUT);
  }

  public static Result dcmdump(Path file, String... extraArgs) {
    List<String> command = new ArrayList<>(List.of("dcmdump"));
    command.addAll(Arrays.asList(extraArgs));
    command.add(file.toString());
    return run(command, TOOL_TIMEOUT);
  }

  /** dcmtk's converter: e.g. {@code +e} (explicit sequence lengths), {@code +ti} (implicit VR). */
  public static Result dcmconv(Path in, Path out, String... extraArgs) {
    List<String> command = new ArrayList<>(List.of("dcmconv"));
    command.addAll(Arrays.asList(extraArgs));
    command.addAll(List.of(in.toString(), out.toString()));
    return run(command, TOOL_TIMEOUT);
  }

  /** dicom3tools' IOD checker; it exits 0 even with errors: see {@link #dciodvfyErrors}. */
  public static Result dciodvfy(Path file) {
    return run(List.of("dciodvfy", file.toString()), TOOL_TIMEOUT);
  }

  /** The "Error - ..." lines of dciodvfy output (warnings are left out). */
  public static List<String> dciodvfyErrors(String output) {
    return output.lines().filter(l -> l.startsWith("Error")).toList();
  }

  // storescu -v prints "I: Sending file: F", then "I: Received Store Response (STATUS)"; at -d the
  // response line has no status and a DIMSE dump follows with "DIMSE Status : 0x0000: Success".
  // Progress dots ("XMIT: ...") go to stdout and may precede a log line on the same line, so
  // the patterns are searched anywhere in a line.
  private static final Pattern SENDING = Pattern.compile("I: Sending file: (.*)$");
  private static final Pattern RESPONSE = Pattern.compile("I: Received Store Response(?: \\((.*)\\))?\\s*$");
  private static final Pattern DIMSE_STATUS = Pattern.compile("D: DIMSE Status\\s*:\\s*(0x[0-9A-Fa-f]{4}.*)$");
  private static final Pattern SOP_INSTANCE = Pattern.compile("D: Affected SOP Instance UID\\s*:\\s*([0-9.]+)");
  private static final Pattern FAILED = Pattern.compile("E: (Store (?:SCU )?Failed.*|No presentation context.*)$");

  /** Every file storescu started to send, in order, with the response status it saw (null: none). */
  public static List<StoreAttempt> storescuAttempts(String output) {
    List<StoreAttempt> attempts = new ArrayList<>();
    String file = null;
    String uid = null;
    String status = null;
    boolean awaitingStatus = false;
    for (String line : output.split("\r?\n")) {
      Matcher m;
      if ((m = SENDING.matcher(line)).find()) {
        if (file != null) attempts.add(new StoreAttempt(file, uid, status));
        file = m.group(1);
        uid = null;
        status = null;
        awaitingStatus = false;
      } else if (file == null || status != null) {
        continue;
      } else if ((m = RESPONSE.matcher(line)).find()) {
        status = m.group(1);
        awaitingStatus = status == null;
      } else if (awaitingStatus && (m = DIMSE_STATUS.matcher(line)).find()) {
        status = m.group(1).trim();
        awaitingStatus = false;
      } else if ((m = SOP_INSTANCE.matcher(line)).find()) {
        uid = m.group(1);
      } else if ((m = FAILED.matcher(line)).find()) {
        status = m.group(1).trim();
      }
    }
    if (file != null) attempts.add(new StoreAttempt(file, uid, status));
    return attempts;
  }

  /** The files (as storescu printed them) that got a Success C-STORE-RSP. */
  public static List<String> storescuAcknowledged(String output) {
    return storescuAttempts(output).stream().filter(StoreAttempt::success).map(StoreAttempt::file).toList();
  }

  /**
   * SOP Instance UIDs that got a Success C-STORE-RSP: from the response dump at {@code -d},
   * else read from each acknowledged file (its File Meta Information, or its data set).
   */
  public static Set<String> storescuAcknowledgedUids(String output) {
    Set<String> uids = new LinkedHashSet<>();
    for (StoreAttempt a : storescuAttempts(output)) {
      if (a.success()) uids.add(a.sopInstanceUid() != null ? a.sopInstanceUid() : sopInstanceUidOf(Path.of(a.file())));
    }
    return uids;
  }

  private static String sopInstanceUidOf(Path file) {
    try {
      byte[] head;
      try (InputStream in = Files.newInputStream(file)) {
        head = in.readNBytes(64 * 1024);
      }
      Part10.Header header = Part10.parse(ByteBuffer.wrap(head));
      if (header.sopInstanceUid() != null && !header.sopInstanceUid().isEmpty()) return header.sopInstanceUid();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MalformedDicomException e) {
      // no File Meta Information: read the data set below
    }
    try {
      AttributeList list = new AttributeList();
      list.read(file.toString(), new AttributeTag(0x0008, 0x0019));
      return list.get(new AttributeTag(0x0008, 0x0018)).getSingleStringValueOrEmptyString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (DicomException | NullPointerException e) {
      throw new IllegalStateException("no SOP Instance UID in " + file, e);
    }
  }

  private static Result run(List<String> command, Duration timeout) {
    Path log = null;
    try {
      log = Files.createTempFile(command.get(0), ".log");
      return new Running(start(command, log), log, null).await(timeout);
    } catch (IOException e) {
      deleteQuietly(log);
      throw new UncheckedIOException("cannot run " + command.get(0) + " (is it installed?)", e);
    }
  }

  static Process start(List<String> command, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("TCP_NODELAY", "1");
    return pb.start();
  }

  /** Lenient UTF-8: dcmdump prints values in the data set's own character set. */
  static String readLog(Path log) {
    try {
      return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteQuietly(Path p) {
    if (p == null) return;
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a temp file left behind is harmless
    }
  }
}
