package imago.core.testkit;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dcmtk wrappers against dcmtk's own storescp, and the storescu output parser. */
class DcmtkTest {
  private static final String HOST = "127.0.0.1";

  @Test
  void echoesAndStoresAgainstStorescp(@TempDir Path dir) throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 2, 3, 32, 32, 1, "DCMTK");
    List<Path> files = SyntheticCt.write(spec, dir.resolve("in"));
    try (Storescp scp = Storescp.start(PortFinder.freePort(), "REF", dir.resolve("out"))) {
      Dcmtk.Result echo = Dcmtk.echoscu(HOST, scp.port(), "ECHOSCU", "REF");
      assertTrue(echo.ok(), echo::toString);

      Dcmtk.Result verbose = Dcmtk.storescu(HOST, scp.port(), "STORESCU", "REF", files);
      assertTrue(verbose.ok(), verbose::toString);
      assertEquals(files.stream().map(p -> p.toAbsolutePath().toString()).toList(),
          Dcmtk.storescuAcknowledged(verbose.output()));
      Set<String> expected = files.stream().map(p -> uidOf(spec, p)).collect(Collectors.toSet());
      assertEquals(expected, Dcmtk.storescuAcknowledgedUids(verbose.output()));

      // a directory instead of files (+sd +r), at debug level: UIDs come from the response dumps
      Dcmtk.Result debug = Dcmtk.storescu(HOST, scp.port(), "STORESCU", "REF", List.of(dir.resolve("in")), "-d");
      assertTrue(debug.ok(), debug::toString);
      assertTrue(Dcmtk.storescuAttempts(debug.output()).stream().allMatch(a -> a.sopInstanceUid() != null));
      assertEquals(expected, Dcmtk.storescuAcknowledgedUids(debug.output()));
      assertEquals(expected, scp.receivedUids());
    }
  }

  @Test
  void storesPrivateSopClassesThroughAProfile(@TempDir Path dir) throws Exception {
    Path file = SyntheticCt.writePrivateSopClassInstance(dir, 3);
    try (Storescp scp = Storescp.start(PortFinder.freePort(), "REF", dir.resolve("out"), "-pm")) {
      Dcmtk.Result refused = Dcmtk.storescu(HOST, scp.port(), "STORESCU", "REF", List.of(file));
      assertNotEquals(0, refused.exitCode(), refused::toString); // storescu will not propose an unknown class
      String[] profile = Dcmtk.storescuProfileFor(dir, SyntheticCt.PRIVATE_SOP_CLASS);
      Dcmtk.Result stored = Dcmtk.storescu(HOST, scp.port(), "STORESCU", "REF", List.of(file), profile);
      assertTrue(stored.ok(), stored::toString);
      assertEquals(List.of(file.toAbsolutePath().toString()), Dcmtk.storescuAcknowledged(stored.output()));
    }
  }

  /** Only what storescp answered Success for counts as acknowledged; all of it was received. */
  @Test
  void acknowledgesOnlyWhatTheKilledServerAnswered(@TempDir Path dir) throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 300, 256, 256, 2, "KILL");
    List<Path> files = SyntheticCt.write(spec, dir.resolve("in"));
    Storescp scp = Storescp.start(PortFinder.freePort(), "REF", dir.resolve("out"));
    try (Dcmtk.Running run = Dcmtk.storescuAsync(HOST, scp.port(), "STORESCU", "REF", files)) {
      eventually(Duration.ofSeconds(30), "five acknowledgements",
          () -> Dcmtk.storescuAcknowledged(run.outputSoFar()).size() >= 5);
      scp.process().destroyForcibly().waitFor();
      Dcmtk.Result result = run.await(Duration.ofSeconds(60));
      Set<String> acknowledged = Dcmtk.storescuAcknowledgedUids(result.output());
      System.out.printf("storescu: %d of %d acknowledged, %d received, exit %d%n", acknowledged.size(), files.size(),
          scp.receivedUids().size(), result.exitCode());
      assertTrue(acknowledged.size() >= 5, result::toString);
      assertTrue(scp.receivedUids().containsAll(acknowledged));
      if (acknowledged.size() < files.size()) {
        assertNotEquals(0, result.exitCode(), result::toString);
        assertTrue(Dcmtk.storescuAttempts(result.output()).stream().anyMatch(a -> !a.success()), result::toString);
      }
    } finally {
      scp.close();
    }
  }

  @Test
  void parsesVerboseDebugAndFailureOutput() {
    String output = String.join("\n",
        "I: checking input files ...",
        "I: Sending file: /a/1.dcm",
        "I: Sending Store Request (MsgID 1, CT)",
        "XMIT: ...........I: Received Store Response (Success)",
        "I: Sending file: /a/2.dcm",
        "I: Sending Store Request (MsgID 2, CT)",
        "I: Received Store Response (Refused: Out of Resources)",
        "I: Sending file: /a/3.dcm",
        "I: Sending Store Request (MsgID 3, CT)",
        "D: Affected SOP Instance UID     : 1.2.3",
        "I: Received Store Response",
        "D: Message Type                  : C-STORE RSP",
        "D: Affected SOP Instance UID     : 1.2.3",
        "D: DIMSE Status                  : 0x0000: Success",
        "I: Sending file: /a/4.dcm",
        "I: Received Store Response",
        "D: DIMSE Status                  : 0xb000: Warning: Coercion of Data Elements",
        "I: Sending file: /a/5.dcm",
        "E: No presentation context for: (unknown SOP class) 2.25.1",
        "I: Sending file: /a/6.dcm",
        "I: Sending Store Request (MsgID 6, CT)",
        "E: Store SCU Failed: 0006:020e DIMSE Failed to send message",
        "I: Sending file: /a/7.dcm",
        "I: Sending Store Request (MsgID 7, CT)");
    List<Dcmtk.StoreAttempt> attempts = Dcmtk.storescuAttempts(output);
    assertEquals(7, attempts.size());
    assertEquals("Success", attempts.get(0).status());
    assertEquals("Refused: Out of Resources", attempts.get(1).status());
    assertEquals("1.2.3", attempts.get(2).sopInstanceUid());
    assertTrue(attempts.get(3).status().startsWith("0xb000"));
    assertTrue(attempts.get(4).status().startsWith("No presentation context"));
    assertTrue(attempts.get(5).status().startsWith("Store SCU Failed"));
    assertNull(attempts.get(6).status());
    assertEquals(List.of("/a/1.dcm", "/a/3.dcm"), Dcmtk.storescuAcknowledged(output));
  }

  @Test
  void dumpsAndVerifiesAFile(@TempDir Path dir) throws Exception {
    SyntheticCt.Spec spec = new SyntheticCt.Spec(1, 1, 1, 32, 32, 4, "DUMP");
    Path file = SyntheticCt.write(spec, dir).get(0);
    Dcmtk.Result dump = Dcmtk.dcmdump(file);
    assertTrue(dump.ok(), dump::toString);
    assertTrue(dump.output().contains(SyntheticCt.sopInstanceUid(spec, 1, 1, 1)));
    Dcmtk.Result verify = Dcmtk.dciodvfy(file);
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(verify.output()), verify::toString);
  }

  private static String uidOf(SyntheticCt.Spec spec, Path file) {
    int series = Integer.parseInt(file.getParent().getFileName().toString());
    int instance = Integer.parseInt(file.getFileName().toString().replace(".dcm", ""));
    return SyntheticCt.sopInstanceUid(spec, 1, series, instance);
  }
}
