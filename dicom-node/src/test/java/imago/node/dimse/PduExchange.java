package imago.node.dimse;

import imago.core.dicom.MalformedDicomException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One fuzzing connection: every PDU of a plan written whole, then the client's half of the
 * connection closed (so the server never waits on its 10 s request deadline), then everything
 * the server answers read until it closes its half. A server that keeps the connection open past
 * {@link #HANG} after that has hung.
 */
final class PduExchange {
  static final Duration HANG = Duration.ofSeconds(20);
  /** More than any answer to a plan could hold: a server that sends more is flooding. */
  private static final int MAX_ANSWER = 4 << 20;

  /** What the server did with one connection. */
  record Outcome(int number, boolean associated, boolean rejected, boolean aborted, boolean probeAnswered,
      List<DimseCommand> responses, boolean cut, boolean hung) {}

  private PduExchange() {}

  static Outcome run(String host, int port, int number, List<PduCorpus.Step> steps) throws IOException {
    try (Socket socket = new Socket(host, port)) {
      socket.setSoTimeout((int) HANG.toMillis());
      socket.setTcpNoDelay(true);
      boolean cut = false;
      OutputStream out = socket.getOutputStream();
      try {
        for (PduCorpus.Step step : steps) out.write(step.bytes());
        out.flush();
        socket.shutdownOutput();
      } catch (IOException closed) {
        cut = true; // the server hung up before reading everything: an abort, usually
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      boolean hung = false;
      try {
        readAll(socket.getInputStream(), answer);
      } catch (SocketTimeoutException e) {
        hung = true;
      } catch (IOException reset) {
        cut = true;
      }
      return parse(number, answer.toByteArray(), cut, hung);
    }
  }

  private static void readAll(InputStream in, ByteArrayOutputStream answer) throws IOException {
    byte[] buffer = new byte[16384];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      answer.write(buffer, 0, n);
      if (answer.size() > MAX_ANSWER) throw new IOException("the server answered more than " + MAX_ANSWER + " bytes");
    }
  }

  /** The server's PDUs in order; a response command set that does not parse is a failure of the server. */
  private static Outcome parse(int number, byte[] answer, boolean cut, boolean hung) {
    ByteBuffer b = ByteBuffer.wrap(answer);
    boolean associated = false;
    boolean rejected = false;
    boolean aborted = false;
    boolean probe = false;
    List<DimseCommand> responses = new ArrayList<>();
    ByteArrayOutputStream command = new ByteArrayOutputStream();
    while (b.remaining() >= 6) {
      int type = b.get() & 0xFF;
      b.get();
      int length = b.getInt();
      if (length < 0 || length > b.remaining()) break; // the rest was lost to a reset
      int end = b.position() + length;
      switch (type) {
        case 0x02 -> associated = true;
        case 0x03 -> rejected = true;
        case 0x07 -> aborted = true;
        case 0x04 -> probe |= pdvs(b, end, command, responses);
        default -> { }
      }
      b.position(end);
    }
    return new Outcome(number, associated, rejected, aborted, probe, responses, cut, hung);
  }

  /** Collects the command sets of a P-DATA-TF; true when one is the probe's successful C-ECHO-RSP. */
  private static boolean pdvs(ByteBuffer b, int end, ByteArrayOutputStream command, List<DimseCommand> responses) {
    boolean probe = false;
    while (b.position() + 6 <= end) {
      int length = b.getInt();
      b.get();
      int control = b.get() & 0xFF;
      byte[] value = new byte[length - 2];
      b.get(value);
      if ((control & 1) == 0) continue; // a data set: none is expected from a C-ECHO or C-STORE SCP
      command.writeBytes(value);
      if ((control & 2) != 0) {
        DimseCommand rsp = parseResponse(command.toByteArray());
        command.reset();
        responses.add(rsp);
        probe |= rsp.messageIdBeingRespondedTo() == PduCorpus.PROBE_MESSAGE_ID && rsp.status() == 0;
      }
    }
    return probe;
  }

  private static DimseCommand parseResponse(byte[] bytes) {
    try {
      return DimseCommand.parse(bytes);
    } catch (MalformedDicomException e) {
      throw new AssertionError("the server sent a command set that does not parse: " + e.getMessage(), e);
    }
  }
}
