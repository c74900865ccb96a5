package imago.node.dimse;

import imago.core.dicom.MalformedDicomException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A DIMSE command set (PS3.7 §9.3, §E): group 0000, always implicit VR little endian. Imago
 * encodes and decodes them itself so responses can carry Error Comment (0000,0902). The
 * retrieve fields (C-MOVE, C-GET and the C-STOREs they cause) travel in {@link Retrieve}.
 */
public record DimseCommand(int commandField, int messageId, int messageIdBeingRespondedTo, String affectedSopClassUid,
    String affectedSopInstanceUid, boolean hasDataSet, int status, String errorComment, Retrieve retrieve) {

  /**
   * Priority (0000,0700), Move Destination (0000,0600), Number of Remaining/Completed/Failed/Warning
   * Sub-operations (0000,1020-1023), Move Originator AE Title and Message ID (0000,1030-1031)
   * (PS3.7 §9.3.1-4). A negative number or null is "absent".
   */
  public record Retrieve(int priority, String moveDestination, int remaining, int completed, int failed, int warning,
      String moveOriginatorAe, int moveOriginatorMessageId) {
    public static final Retrieve NONE = new Retrieve(-1, null, -1, -1, -1, -1, null, -1);

    /** Sub-operation counts of a C-MOVE-RSP or C-GET-RSP; {@code remaining} < 0 leaves it out (final responses). */
    public static Retrieve counts(int remaining, int completed, int failed, int warning) {
      return new Retrieve(-1, null, remaining, completed, failed, warning, null, -1);
    }

    /** A C-STORE-RQ sub-operation, medium priority; with the C-MOVE's originator (null for C-GET). */
    public static Retrieve subOperation(String originatorAe, int originatorMessageId) {
      return new Retrieve(0, null, -1, -1, -1, -1, originatorAe, originatorAe == null ? -1 : originatorMessageId);
    }
  }

  public DimseCommand {
    if (retrieve == null) retrieve = Retrieve.NONE;
  }

  public DimseCommand(int commandField, int messageId, int messageIdBeingRespondedTo, String affectedSopClassUid,
      String affectedSopInstanceUid, boolean hasDataSet, int status, String errorComment) {
    this(commandField, messageId, messageIdBeingRespondedTo, affectedSopClassUid, affectedSopInstanceUid, hasDataSet,
        status, errorComment, Retrieve.NONE);
  }

  /** This command with other retrieve fields. */
  public DimseCommand with(Retrieve fields) {
    return new DimseCommand(commandField, messageId, messageIdBeingRespondedTo, affectedSopClassUid,
        affectedSopInstanceUid, hasDataSet, status, errorComment, fields);
  }

  /** This command with a data set following it (or not). */
  public DimseCommand withDataSet(boolean dataSet) {
    return new DimseCommand(commandField, messageId, messageIdBeingRespondedTo, affectedSopClassUid,
        affectedSopInstanceUid, dataSet, status, errorComment, retrieve);
  }

  public static final int C_STORE_RQ = 0x0001;
  public static final int C_STORE_RSP = 0x8001;
  public static final int C_ECHO_RQ = 0x0030;
  public static final int C_ECHO_RSP = 0x8030;
  public static final int C_GET_RQ = 0x0010;
  public static final int C_FIND_RQ = 0x0020;
  public static final int C_MOVE_RQ = 0x0021;
  public static final int C_CANCEL_RQ = 0x0FFF;
  /** PS3.7 C.4.1: the command is not one this SCP performs. */
  public static final int UNRECOGNIZED_OPERATION = 0x0211;
  private static final int NO_DATA_SET = 0x0101;

  public static DimseCommand parse(byte[] bytes) throws MalformedDicomException {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int field = -1;
    int messageId = -1;
    int respondedTo = -1;
    int dataSetType = NO_DATA_SET;
    int status = 0;
    String sopClass = null;
    String sopInstance = null;
    String comment = null;
    int[] retrieve = {-1, -1, -1, -1, -1, -1};
    String destination = null;
    String originator = null;
    while (b.remaining() >= 8) {
      int group = Short.toUnsignedInt(b.getShort());
      int element = Short.toUnsignedInt(b.getShort());
      long length = Integer.toUnsignedLong(b.getInt());
      if (group != 0 || length > b.remaining()) {
        throw new MalformedDicomException(String.format("malformed command set at (%04X,%04X)", group, element));
      }
      int at = b.position();
      switch (element) {
        case 0x0002 -> sopClass = text(b, at, (int) length);
        case 0x0100 -> field = us(b, at, length);
        case 0x0110 -> messageId = us(b, at, length);
        case 0x0120 -> respondedTo = us(b, at, length);
        case 0x0800 -> dataSetType = us(b, at, length);
        case 0x0900 -> status = us(b, at, length);
        case 0x0902 -> comment = text(b, at, (int) length);
        case 0x1000 -> sopInstance = text(b, at, (int) length);
        case 0x0600 -> destination = text(b, at, (int) length);
        case 0x0700 -> retrieve[0] = us(b, at, length);
        case 0x1020, 0x1021, 0x1022, 0x1023 -> retrieve[element - 0x1020 + 1] = us(b, at, length);
        case 0x1030 -> originator = text(b, at, (int) length);
        case 0x1031 -> retrieve[5] = us(b, at, length);
        default -> { }
      }
      b.position(at + (int) length);
    }
    if (field < 0) throw new MalformedDicomException("command set without Command Field (0000,0100)");
    return new DimseCommand(field, messageId, respondedTo, sopClass, sopInstance, dataSetType != NO_DATA_SET, status, comment,
        new Retrieve(retrieve[0], destination, retrieve[1], retrieve[2], retrieve[3], retrieve[4], originator, retrieve[5]));
  }

  private static int us(ByteBuffer b, int at, long length) throws MalformedDicomException {
    if (length != 2) throw new MalformedDicomException("command element of VR US with length " + length);
    return Short.toUnsignedInt(b.getShort(at));
  }

  private static String text(ByteBuffer b, int at, int length) {
    byte[] v = new byte[length];
    b.get(at, v);
    return new String(v, StandardCharsets.US_ASCII).replace("\0", "").trim();
  }

  /** A response to {@code request} with {@code status} and, for failures, a comment. */
  public static DimseCommand response(DimseCommand request, int status, String comment) {
    int field = request.commandField() | 0x8000;
    return new DimseCommand(field, -1, request.messageId(), request.affectedSopClassUid(),
        request.affectedSopInstanceUid(), false, status, comment);
  }

  public byte[] encode() {
    ByteArrayOutputStream body = new ByteArrayOutputStream(160);
    if (affectedSopClassUid != null) ui(body, 0x0002, affectedSopClassUid);
    us(body, 0x0100, commandField);
    if (messageId >= 0) us(body, 0x0110, messageId);
    if (messageIdBeingRespondedTo >= 0) us(body, 0x0120, messageIdBeingRespondedTo);
    if (retrieve.moveDestination() != null) element(body, 0x0600, padded(retrieve.moveDestination(), (byte) ' '));
    if (retrieve.priority() >= 0) us(body, 0x0700, retrieve.priority());
    us(body, 0x0800, hasDataSet ? 0x0000 : NO_DATA_SET);
    if ((commandField & 0x8000) != 0) us(body, 0x0900, status);
    if (errorComment != null && !errorComment.isEmpty()) {
      // LO: at most 64 characters (PS3.7 C.4, Error Comment)
      String c = errorComment.length() > 64 ? errorComment.substring(0, 64) : errorComment;
      element(body, 0x0902, padded(c, (byte) ' '));
    }
    if (affectedSopInstanceUid != null) ui(body, 0x1000, affectedSopInstanceUid);
    if (retrieve.remaining() >= 0) us(body, 0x1020, retrieve.remaining());
    if (retrieve.completed() >= 0) us(body, 0x1021, retrieve.completed());
    if (retrieve.failed() >= 0) us(body, 0x1022, retrieve.failed());
    if (retrieve.warning() >= 0) us(body, 0x1023, retrieve.warning());
    if (retrieve.moveOriginatorAe() != null) element(body, 0x1030, padded(retrieve.moveOriginatorAe(), (byte) ' '));
    if (retrieve.moveOriginatorMessageId() >= 0) us(body, 0x1031, retrieve.moveOriginatorMessageId());
    byte[] elements = body.toByteArray();
    ByteBuffer out = ByteBuffer.allocate(12 + elements.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putShort((short) 0).putShort((short) 0).putInt(4).putInt(elements.length).put(elements);
    return out.array();
  }

  private static void us(ByteArrayOutputStream out, int element, int value) {
    element(out, element, new byte[] {(byte) value, (byte) (value >> 8)});
  }

  private static void ui(ByteArrayOutputStream out, int element, String uid) {
    element(out, element, padded(uid, (byte) 0));
  }

  private static byte[] padded(String s, byte pad) {
    byte[] raw = s.getBytes(StandardCharsets.US_ASCII);
    if (raw.length % 2 == 0) return raw;
    byte[] p = java.util.Arrays.copyOf(raw, raw.length + 1);
    p[raw.length] = pad;
    return p;
  }

  private static void element(ByteArrayOutputStream out, int element, byte[] value) {
    ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    h.putShort((short) 0).putShort((short) element).putInt(value.length);
    out.write(h.array(), 0, 8);
    out.write(value, 0, value.length);
  }
}
