package imago.node.dimse;

import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Uids;
import imago.storage.index.StoredInstance;
import imago.storage.object.ObjectStore;
import com.pixelmed.network.DicomNetworkException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A C-STORE SCU association to a C-MOVE destination, initiated by Imago itself over a socket it
 * is given, plain or TLS (see {@link DestinationConnector}): an A-ASSOCIATE-RQ proposing each SOP
 * class in each stored transfer syntax it will send (and, for uncompressed data, the uncompressed
 * syntaxes as a fallback), then one instance at a time, each answered by its C-STORE-RSP before
 * the next, then A-RELEASE.
 *
 * <p>Imago's own rather than PixelMed's initiator: that one opens its socket itself and, for TLS,
 * takes the JVM-wide default socket factory, so it could not present Imago's certificate, check
 * the destination's against Imago's trust and host name, or keep to BCP 195.
 */
final class StoreScu implements AutoCloseable, SubOperation.Channel {
  /** PS3.8 §9.3.2.2: presentation context IDs are odd, 1..255. */
  private static final int MAX_CONTEXTS = 128;
  /** A C-STORE-RSP command set is a few hundred bytes; more is not one (the SCP side's bound too). */
  private static final int MAX_COMMAND = 64 * 1024;

  /** The destination answered the A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ or A-ABORT. */
  static final class RejectedException extends IOException {
    RejectedException(String message) {
      super(message);
    }
  }

  /** The connection failed or closed before the destination answered the A-ASSOCIATE-RQ. */
  static final class UnansweredException extends IOException {
    UnansweredException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private final PduChannel channel;
  private final Map<Integer, String> abstractSyntaxes;
  private final Map<Integer, String> accepted;
  private final int sendLimit;
  private int messageId;
  private boolean broken;

  private StoreScu(PduChannel channel, List<AssociateRq.Context> proposed, AssociateAc ac) throws ProtocolException {
    this.channel = channel;
    this.abstractSyntaxes = new HashMap<>();
    for (AssociateRq.Context c : proposed) abstractSyntaxes.put(c.id(), c.abstractSyntax());
    this.accepted = ac.accepted();
    this.sendLimit = PduChannel.sendLimit(ac.maxPduLength());
  }

  /**
   * Associates as {@code callingAe} with {@code calledAe} over {@code socket}, proposing what
   * {@code instances} need; {@code timeout} bounds every wait for the destination. The socket is
   * closed when this fails.
   */
  static StoreScu open(Socket socket, String callingAe, String calledAe, List<StoredInstance> instances, int maxPdu,
      Duration timeout) throws IOException {
    PduChannel channel;
    try {
      socket.setSoTimeout((int) timeout.toMillis());
      channel = new PduChannel(socket, maxPdu);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    try {
      List<AssociateRq.Context> contexts = contexts(instances);
      PduChannel.Pdu answer = request(channel, new AssociateRq(calledAe, callingAe, contexts, maxPdu));
      return switch (answer.type()) {
        case PduChannel.A_ASSOCIATE_AC -> new StoreScu(channel, contexts, AssociateAc.parse(answer.body()));
        case PduChannel.A_ASSOCIATE_RJ -> throw new RejectedException(AssociateAc.rejection(answer.body()));
        case PduChannel.A_ABORT -> throw new RejectedException("A-ABORT in answer to the A-ASSOCIATE-RQ");
        default -> throw new ProtocolException("PDU type " + answer.type() + " in answer to the A-ASSOCIATE-RQ");
      };
    } catch (IOException | RuntimeException e) {
      if (e instanceof ProtocolException) channel.abortQuietly();
      channel.close();
      throw e;
    }
  }

  /** Sends the A-ASSOCIATE-RQ and reads the answer (a refused PDU header is the destination's fault, not the line's). */
  private static PduChannel.Pdu request(PduChannel channel, AssociateRq rq) throws IOException {
    try {
      channel.send(rq.encode());
      return channel.read();
    } catch (ProtocolException e) {
      throw e;
    } catch (IOException e) {
      throw new UnansweredException(e);
    }
  }

  private static List<AssociateRq.Context> contexts(List<StoredInstance> instances) {
    Set<List<String>> wanted = new LinkedHashSet<>();
    for (StoredInstance i : instances) {
      wanted.add(List.of(i.sopClassUid(), i.transferSyntaxUid()));
      if (SubOperation.UNCOMPRESSED.contains(i.transferSyntaxUid())) wanted.add(List.of(i.sopClassUid(), "*"));
    }
    List<AssociateRq.Context> contexts = new ArrayList<>();
    int id = 1;
    for (List<String> w : wanted) {
      if (contexts.size() == MAX_CONTEXTS) break;
      List<String> syntaxes = w.get(1).equals("*")
          ? List.of(Uids.EXPLICIT_VR_LITTLE_ENDIAN, Uids.IMPLICIT_VR_LITTLE_ENDIAN)
          : List.of(w.get(1));
      contexts.add(new AssociateRq.Context(id, w.get(0), syntaxes));
      id += 2;
    }
    return contexts;
  }

  /** The context {@code i} would go on, or -1 if the destination accepted none for it. */
  int context(StoredInstance i) {
    return SubOperation.context(this, i);
  }

  /**
   * Sends one instance and returns the destination's C-STORE-RSP status. After any exception but
   * {@link SubOperation.ObjectUnavailableException} (thrown before anything is sent) the
   * association is unusable and {@link #close} aborts it.
   */
  int store(StoredInstance i, int context, ObjectStore store, DimseCommand.Retrieve origin)
      throws IOException, DicomNetworkException {
    messageId = (messageId + 1) & 0xFFFF;
    try {
      SubOperation.send(this, context, messageId, i, store, origin);
      DimseCommand rsp = response();
      if (rsp.commandField() != DimseCommand.C_STORE_RSP || rsp.messageIdBeingRespondedTo() != messageId) {
        throw new ProtocolException(String.format("expected the C-STORE-RSP to message %d, got command 0x%04X to %d",
            messageId, rsp.commandField(), rsp.messageIdBeingRespondedTo()));
      }
      return rsp.status();
    } catch (SubOperation.ObjectUnavailableException e) {
      throw e;
    } catch (IOException | DicomNetworkException | RuntimeException e) {
      broken = true;
      throw e;
    }
  }

  /** The next response command set, its fragments gathered from P-DATA-TF PDUs (a data set, if any, is skipped). */
  private DimseCommand response() throws IOException {
    ByteArrayOutputStream command = new ByteArrayOutputStream(256);
    while (true) {
      PduChannel.Pdu pdu = channel.read();
      switch (pdu.type()) {
        case PduChannel.P_DATA_TF -> {
          if (gather(pdu.body(), command)) return parse(command.toByteArray());
        }
        case PduChannel.A_ABORT -> throw new IOException("the destination aborted the association");
        case PduChannel.A_RELEASE_RQ -> throw new IOException("the destination released the association mid-transfer");
        default -> throw new ProtocolException("PDU type " + pdu.type() + " on an established association");
      }
    }
  }

  /** Adds the command fragments of one P-DATA-TF (PS3.8 §9.3.5) to {@code command}; true when its last one was among them. */
  private static boolean gather(byte[] body, ByteArrayOutputStream command) throws ProtocolException {
    ByteBuffer b = ByteBuffer.wrap(body);
    boolean complete = false;
    while (b.remaining() >= 6) {
      long length = Integer.toUnsignedLong(b.getInt());
      if (length < 2 || length > b.remaining()) throw new ProtocolException("PDV item of " + length + " bytes");
      b.get(); // presentation context id
      int control = b.get() & 0xFF;
      int value = (int) length - 2;
      if ((control & 1) != 0) {
        if (command.size() + value > MAX_COMMAND) throw new ProtocolException("response command set over " + MAX_COMMAND + " bytes");
        command.write(body, b.position(), value);
        complete |= (control & 2) != 0;
      }
      b.position(b.position() + value);
    }
    if (b.hasRemaining()) throw new ProtocolException("P-DATA-TF with " + b.remaining() + " stray bytes");
    return complete;
  }

  private static DimseCommand parse(byte[] command) throws ProtocolException {
    try {
      return DimseCommand.parse(command);
    } catch (MalformedDicomException e) {
      throw new ProtocolException("unreadable response: " + e.getMessage());
    }
  }

  @Override
  public int context(String sopClass, String transferSyntax) {
    for (Map.Entry<Integer, String> a : accepted.entrySet()) {
      if (a.getValue().equals(transferSyntax) && sopClass.equals(abstractSyntaxes.get(a.getKey()))) return a.getKey();
    }
    return -1;
  }

  @Override
  public String transferSyntax(int context) {
    return accepted.get(context);
  }

  @Override
  public void sendCommand(int context, byte[] command) throws IOException {
    try (OutputStream out = channel.pdvs(context, true, sendLimit)) {
      out.write(command);
    }
  }

  @Override
  public OutputStream dataSet(int context) {
    return channel.pdvs(context, false, sendLimit);
  }

  /** A-RELEASE (PS3.8 §7.2) and the destination's A-RELEASE-RP; A-ABORT instead when the association is broken. */
  @Override
  public void close() {
    try {
      if (broken) {
        channel.abortQuietly();
        return;
      }
      channel.sendReleaseRequest();
      if (channel.read().type() != PduChannel.A_RELEASE_RP) channel.abortQuietly();
    } catch (IOException e) {
      channel.abortQuietly();
    } finally {
      channel.close();
    }
  }
}
