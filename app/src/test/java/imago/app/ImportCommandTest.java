package imago.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.UnsignedLongAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import imago.core.config.Config;
import imago.core.dicom.Uids;
import imago.core.synthetic.SyntheticCt;
import imago.storage.index.Source;
import imago.storage.index.StoredInstance;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** {@code imago import DIR}: the same ingest path as C-STORE, with a summary an operator can act on. */
class ImportCommandTest {
  private static final Pattern SUMMARY =
      Pattern.compile("(\\d+) files: (\\d+) stored, (\\d+) duplicate, (\\d+) rejected");
  private static final SyntheticCt.Spec SPEC = new SyntheticCt.Spec(2, 1, 3, 32, 32, 61, "IMP");

  @TempDir Path tmp;

  /** What one run printed on stdout, and its exit code. */
  private record Run(int exitCode, String out) {
    int[] counts() {
      Matcher m = SUMMARY.matcher(out);
      assertTrue(m.find(), "no summary line in:\n" + out);
      return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
          Integer.parseInt(m.group(4))};
    }

    List<String> rejections() {
      return out.lines().filter(l -> l.trim().startsWith("rejected ")).map(String::trim).toList();
    }
  }

  @Test
  void twoStudiesAreStoredThenAllDuplicatesOnReImport() throws Exception {
    Path dir = tmp.resolve("in");
    List<Path> files = SyntheticCt.write(SPEC, dir);
    Path data = tmp.resolve("data");

    Run first = importDir(data, dir);
    assertEquals(0, first.exitCode(), first.out());
    assertArrayEquals(new int[] {6, 6, 0, 0}, first.counts(), first.out());

    Run again = importDir(data, dir);
    assertEquals(0, again.exitCode(), again.out());
    assertArrayEquals(new int[] {6, 0, 6, 0}, again.counts(), again.out());

    try (TestImago node = TestImago.start(data)) {
      for (int study = 1; study <= 2; study++) {
        List<StoredInstance> instances = node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(SPEC, study));
        assertEquals(3, instances.size());
        for (StoredInstance i : instances) {
          assertEquals(Source.IMPORT, i.source());
          assertArrayEquals(Files.readAllBytes(StoreScpTest.findFile(files, i.sopInstanceUid())), node.object(i.objectKey()),
              "imported byte for byte");
        }
      }
    }
  }

  @Test
  void whatIsNotAnInstanceIsRejectedWithAReasonAndTheExitCodeIsOne() throws Exception {
    Path dir = tmp.resolve("mixed");
    List<Path> files = SyntheticCt.write(SPEC, dir);
    byte[] whole = Files.readAllBytes(files.get(0));
    Files.write(dir.resolve("truncated.dcm"), Arrays.copyOf(whole, whole.length - 700));
    Files.writeString(dir.resolve("README.txt"), "Exported from the PACS on Monday.\n");
    Files.write(dir.resolve("DICOMDIR"), dicomdir());
    Path data = tmp.resolve("data");

    Run run = importDir(data, dir);

    assertEquals(1, run.exitCode(), run.out());
    assertArrayEquals(new int[] {9, 6, 0, 3}, run.counts(), run.out());
    List<String> reasons = run.rejections();
    assertEquals(3, reasons.size(), run.out());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("DICOMDIR")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("not a DICOM PS3.10 file")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("truncated")), reasons.toString());

    Run again = importDir(data, dir);
    assertEquals(1, again.exitCode(), again.out());
    assertArrayEquals(new int[] {9, 0, 6, 3}, again.counts(), again.out());
    try (TestImago node = TestImago.start(data)) {
      assertEquals(6, node.imago.index().instanceCount(), "nothing of the rejected files was indexed");
      List<String> keys = new ArrayList<>();
      node.imago.store().list("", info -> keys.add(info.key()));
      assertEquals(6, keys.size(), "nor left in S3: " + keys);
    }
  }

  @Test
  void importWhileTheServerRunsJoinsItsS3AndIndex() throws Exception {
    Path dir = tmp.resolve("in");
    List<Path> files = SyntheticCt.write(SPEC, dir);
    Path data = tmp.resolve("data");
    try (TestImago node = TestImago.start(data)) {
      ListAppender<ILoggingEvent> log = new ListAppender<>();
      Logger storageLog = (Logger) LoggerFactory.getLogger(StorageRuntime.class);
      log.start();
      storageLog.addAppender(log);
      Run run;
      try {
        run = importDir(data, dir);
      } finally {
        storageLog.detachAppender(log);
      }

      assertEquals(0, run.exitCode(), run.out());
      assertArrayEquals(new int[] {6, 6, 0, 0}, run.counts(), run.out());
      assertTrue(log.list.stream().noneMatch(e -> e.getFormattedMessage().startsWith("event=s3.embedded")),
          "the import must use the server's S3, not start its own: " + log.list);
      assertServerSees(node, files);
    }
  }

  @Test
  void importInAnotherProcessWhileTheServerRunsJoinsItsS3AndIndex() throws Exception {
    Path dir = tmp.resolve("in");
    List<Path> files = SyntheticCt.write(SPEC, dir);
    Path data = tmp.resolve("data");
    try (TestImago node = TestImago.start(data)) {
      // A second JVM: the H2 file is shared only through AUTO_SERVER, the S3 server only
      // through {data}/run/s3-endpoint.
      Path out = tmp.resolve("import.log");
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx512m", "-cp", System.getProperty("java.class.path"), "imago.app.Main",
          "import", dir.toString(), "--tenant", "demo", "--threads", "4")
          .redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().put("IMAGO_DATA", data.toString());
      pb.environment().put("IMAGO_CONFIG", tmp.resolve("none.yaml").toString());
      pb.environment().put("IMAGO_TENANTS", TestImago.TENANTS);
      Process process = pb.start();
      assertTrue(process.waitFor(2, TimeUnit.MINUTES), "import did not finish");
      Run run = new Run(process.exitValue(), Files.readString(out));

      assertEquals(0, run.exitCode(), run.out());
      assertArrayEquals(new int[] {6, 6, 0, 0}, run.counts(), run.out());
      assertFalse(run.out().contains("event=s3.embedded"), "the import started its own S3:\n" + run.out());
      assertServerSees(node, files);
    }
  }

  private static void assertServerSees(TestImago node, List<Path> files) throws Exception {
    for (int study = 1; study <= 2; study++) {
      List<StoredInstance> instances = node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(SPEC, study));
      assertEquals(3, instances.size());
      for (StoredInstance i : instances) {
        assertArrayEquals(Files.readAllBytes(StoreScpTest.findFile(files, i.sopInstanceUid())), node.object(i.objectKey()));
      }
    }
  }

  /** ImportCommand.run as `imago import DIR --tenant demo --threads 4` would call it, stdout captured. */
  private static Run importDir(Path data, Path dir) throws Exception {
    Config config = Config.load(null, Map.of(), TestImago.overrides(data));
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int exitCode;
    try {
      exitCode = ImportCommand.run(config, dir, "demo", 4);
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    original.print(out); // into the test's own output, for whoever reads a failure
    return new Run(exitCode, out);
  }

  /** A DICOMDIR as a CD export carries it: a PS3.10 file of the Media Storage Directory SOP Class. */
  private static byte[] dicomdir() throws Exception {
    AttributeList list = new AttributeList();
    CodeStringAttribute fileSetId = new CodeStringAttribute(new AttributeTag(0x0004, 0x1130));
    fileSetId.addValue("IMAGOTEST");
    list.put(fileSetId);
    for (int element : new int[] {0x1200, 0x1202}) {
      UnsignedLongAttribute offset = new UnsignedLongAttribute(new AttributeTag(0x0004, element));
      offset.addValue(0);
      list.put(offset);
    }
    UnsignedShortAttribute consistency = new UnsignedShortAttribute(new AttributeTag(0x0004, 0x1212));
    consistency.addValue(0);
    list.put(consistency);
    list.put(new SequenceAttribute(new AttributeTag(0x0004, 0x1220)));
    FileMetaInformation.addFileMetaInformation(list, "1.2.840.10008.1.3.10", Uids.fromUuid(UUID.randomUUID()),
        Uids.EXPLICIT_VR_LITTLE_ENDIAN, "TEST");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    list.write(out, Uids.EXPLICIT_VR_LITTLE_ENDIAN, true, true);
    return out.toByteArray();
  }
}
