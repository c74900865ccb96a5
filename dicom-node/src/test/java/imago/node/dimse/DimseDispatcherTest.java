package imago.node.dimse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.DicomStatus;
import imago.core.dicom.Uids;
import imago.core.testkit.Dcmtk;
import imago.node.testkit.RawDicomClient;
import imago.node.testkit.RawDicomClient.Context;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may associate, and what the dispatcher does with commands no service is registered for. */
class DimseDispatcherTest {
  private static final List<Context> VERIFICATION = List.of(new Context(1, Uids.VERIFICATION, Uids.IMPLICIT_VR_LITTLE_ENDIAN));
  /** N-GET-RQ (PS3.7 §10.3.2): a DIMSE-N command Imago does not perform. */
  private static final int N_GET_RQ = 0x0110;

  @TempDir static Path tmp;
  static DimseNode node;

  @BeforeAll
  static void start() throws Exception {
    node = DimseNode.start(tmp, List.of());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void echoscuOfAKnownCallingAeGetsSuccess() {
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE);
    assertTrue(r.ok(), r.toString());
  }

  /** Security: an AE limited to its ward's network (tenants[].aeAddresses) is refused from anywhere else. */
  @Test
  void anAeIsRefusedFromOutsideItsAddresses() {
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.port(), "DEMO_WARD", DimseNode.AE);
    assertFalse(r.ok(), "DEMO_WARD may connect from 10.20.0.0/16 only: " + r.output());
    assertTrue(Dcmtk.echoscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE).ok(), "an AE without a list connects from anywhere");
  }

  @Test
  void anUnknownCallingAeIsRejectedAtAssociationTime() {
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.port(), "STRANGER", DimseNode.AE);
    assertFalse(r.ok());
    assertTrue(r.output().contains("Calling AE Title Not Recognized"), r.output());
    RawDicomClient.Rejected rj = assertThrows(RawDicomClient.Rejected.class,
        () -> RawDicomClient.associate("127.0.0.1", node.port(), "NOBODY", DimseNode.AE, VERIFICATION));
    assertEquals(3, rj.reason, "calling-AE-title-not-recognized");
  }

  @Test
  void anIdentifierOverOneMebibyteIsRefusedUnheldAndTheAssociationCarriesOn() throws Exception {
    String studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    List<Context> contexts = List.of(new Context(1, Uids.VERIFICATION, Uids.EXPLICIT_VR_LITTLE_ENDIAN),
        new Context(3, studyRootFind, Uids.EXPLICIT_VR_LITTLE_ENDIAN));
    try (RawDicomClient c = RawDicomClient.associate("127.0.0.1", node.port(), "DEMO", DimseNode.AE, contexts)) {
      // (0010,0010) UN of 2 MiB: an identifier no query needs, sent to make the server hold it
      byte[] identifier = new byte[12 + (2 << 20)];
      java.nio.ByteBuffer.wrap(identifier).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort((short) 0x0010)
          .putShort((short) 0x0010).put((byte) 'U').put((byte) 'N').putShort((short) 0).putInt(2 << 20);
      c.send(3, new DimseCommand(DimseCommand.C_FIND_RQ, 41, -1, studyRootFind, null, true, 0, null), identifier);
      DimseCommand rsp = c.response();
      assertEquals(DicomStatus.CANNOT_UNDERSTAND, rsp.status(), rsp.errorComment());
      assertTrue(rsp.errorComment().contains("over 1048576 bytes"), rsp.errorComment());
      assertEquals(DicomStatus.SUCCESS, c.echo(1).status(), "the association carries on");
    }
  }

  @Test
  void anUnsupportedCommandIsAnsweredUnrecognizedOperationAndTheAssociationCarriesOn() throws Exception {
    try (RawDicomClient c = RawDicomClient.associate("127.0.0.1", node.port(), "DEMO", DimseNode.AE, VERIFICATION)) {
      c.send(1, new DimseCommand(N_GET_RQ, 77, -1, Uids.VERIFICATION, null, false, 0, null));
      DimseCommand rsp = c.response();
      assertEquals(N_GET_RQ | 0x8000, rsp.commandField());
      assertEquals(77, rsp.messageIdBeingRespondedTo());
      assertEquals(DimseCommand.UNRECOGNIZED_OPERATION, rsp.status(), rsp.errorComment());
      assertEquals(DicomStatus.SUCCESS, c.echo(1).status());
      assertEquals(6, c.release(), "A-RELEASE-RP");
    }
  }

  @Test
  void aCancelWithNothingRunningHasNoResponse() throws Exception {
    try (RawDicomClient c = RawDicomClient.associate("127.0.0.1", node.port(), "DEMO", DimseNode.AE, VERIFICATION)) {
      // PS3.7 §9.3.2.3: C-CANCEL-RQ has no response of its own; the next response is the echo's
      c.send(1, new DimseCommand(DimseCommand.C_CANCEL_RQ, -1, 41, null, null, false, 0, null));
      DimseCommand echo = c.echo(1);
      assertEquals(DimseCommand.C_ECHO_RSP, echo.commandField());
      assertEquals(DicomStatus.SUCCESS, echo.status());
      assertEquals(6, c.release(), "A-RELEASE-RP");
    }
  }

  /**
   * Security: a command set is small (PS3.7: a few elements); one that keeps coming is not
   * collected without end. Past 64 KiB the association is aborted, and the SCP serves the next.
   */
  @Test
  void anEndlessCommandSetIsAbortedAt64KiB() throws Exception {
    try (RawDicomClient c = RawDicomClient.associate("127.0.0.1", node.port(), "DEMO", DimseNode.AE, VERIFICATION)) {
      byte[] fragment = new byte[8 * 1024];
      for (int sent = 0; sent < 40; sent++) { // 320 KiB of command, never ending
        java.nio.ByteBuffer pdu = java.nio.ByteBuffer.allocate(12 + fragment.length);
        pdu.put((byte) 0x04).put((byte) 0).putInt(6 + fragment.length);
        pdu.putInt(2 + fragment.length).put((byte) 1).put((byte) 0x01).put(fragment); // a command fragment, never the last
        try {
          c.sendRaw(pdu.array());
        } catch (java.io.IOException closed) {
          break; // the SCP hung up mid-stream: what is checked below
        }
      }
      int type = c.readPduType();
      assertTrue(type == 7 || type == -1, "A-ABORT or a closed connection, got PDU type " + type);
    }
    assertTrue(Dcmtk.echoscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE).ok(), "the SCP serves the next association");
  }

  /**
   * Security: a PDV inside a well-sized P-DATA-TF that declares 2 GB (PS3.8 §9.3.5.1: a PDV
   * item lies within its PDU) is refused before PixelMed allocates its value: A-ABORT, and the
   * SCP serves the next association. Found by the PDU fuzz (PduFuzzTest).
   */
  @Test
  void aPdvLongerThanItsPduIsAbortedBeforeItIsAllocated() throws Exception {
    try (RawDicomClient c = RawDicomClient.associate("127.0.0.1", node.port(), "DEMO", DimseNode.AE, VERIFICATION)) {
      c.sendRaw(new byte[] {0x04, 0, 0, 0, 0, 10, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xF0, 1, 3, 0, 0, 0, 0});
      assertEquals(7, c.readPduType(), "A-ABORT");
    }
    assertTrue(Dcmtk.echoscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE).ok(), "the SCP serves the next association");
  }

  /** Security: a peer's AE title is its own bytes; in the log it is quoted and escaped, so it cannot forge a line. */
  @Test
  void anAeTitleCannotForgeALogLine() throws Exception {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(DimseServer.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
    log.start();
    logger.addAppender(log);
    try {
      assertThrows(RawDicomClient.Rejected.class,
          () -> RawDicomClient.associate("127.0.0.1", node.port(), "X\nevent=forged", DimseNode.AE, VERIFICATION));
      String line = imago.core.testkit.Eventually.eventually(java.time.Duration.ofSeconds(30), "the rejection is logged",
          () -> log.list.stream().map(e -> e.getFormattedMessage()).filter(m -> m.contains("association.rejected")).findFirst(),
          java.util.Optional::isPresent).orElseThrow();
      assertFalse(line.contains("\n"), line);
      assertTrue(line.contains("calling=\"X\\x0aevent=forged\""), line);
    } finally {
      logger.detachAppender(log);
    }
  }

  /**
   * Security: 40 sockets that never finish their A-ASSOCIATE-RQ (idle, or trickling a byte at a
   * time) hold no association slot (there are 8): a hospital's echoscu still gets in at once.
   */
  @Test
  void tricklingSocketsDoNotLockAHospitalOut() throws Exception {
    List<java.net.Socket> tricklers = new java.util.ArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean trickling = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread drip = new Thread(() -> {
      while (trickling.get()) {
        for (java.net.Socket s : tricklers) {
          try {
            s.getOutputStream().write(0);
          } catch (java.io.IOException closed) {
            // the SCP hung up on it: what it should do in the end
          }
        }
        java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L); // the trickle's own pace, not a wait in the test
      }
    });
    try {
      for (int i = 0; i < 40; i++) {
        java.net.Socket s = new java.net.Socket("127.0.0.1", node.port());
        // an A-ASSOCIATE-RQ header declaring 256 bytes, which then come one drip at a time (51 s at this pace)
        s.getOutputStream().write(new byte[] {0x01, 0, 0, 0, 1, 0});
        tricklers.add(s);
      }
      drip.start();
      Dcmtk.Result echo = Dcmtk.echoscu("127.0.0.1", node.port(), "DEMO", DimseNode.AE);
      assertTrue(echo.ok(), echo.output());
    } finally {
      trickling.set(false);
      drip.join();
      for (java.net.Socket s : tricklers) s.close();
    }
  }
}
