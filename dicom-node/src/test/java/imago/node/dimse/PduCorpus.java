package imago.node.dimse;

import imago.core.dicom.Uids;
import imago.core.synthetic.SyntheticCt;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The well-formed PDUs the PDU fuzzer starts from, and the plan of each fuzzing connection. A
 * plan is derived from the run's seed and the connection's number alone, so any connection can be
 * replayed by itself.
 *
 * <p>The C-STORE the mutations start from is refused as it is: its data set is cut inside Pixel
 * Data, and its command names another SOP Instance UID than the data set does. Whatever the
 * server stored would therefore be a broken object that a mutation got past its checks.
 */
final class PduCorpus {
  static final int ECHO_CONTEXT = 1;
  static final int STORE_CONTEXT = 3;
  static final int STORE_IMPLICIT_CONTEXT = 5;
  /** The Message ID of the echo that ends every connection: answered means the association lived through the batch. */
  static final int PROBE_MESSAGE_ID = 0x7FF0;
  /** Mutated PDUs in one data connection, after its valid A-ASSOCIATE-RQ. */
  static final int PER_CONNECTION = 8;

  /** The PDUs mutations start from. */
  enum Base { ASSOCIATE_RQ, ECHO, STORE_COMMAND, STORE_DATA, STORE_WHOLE, RELEASE_RQ, ABORT }

  /** One PDU of a plan: written as it is, or mutated. */
  record Step(Base base, byte[] bytes, List<PduMutator.Mutation> mutations) {
    boolean mutated() {
      return !mutations.isEmpty();
    }
  }

  private final String calling;
  private final String called;
  private final byte[] dataSet;
  private final String commandSop;

  PduCorpus(String calling, String called) {
    this.calling = calling;
    this.called = called;
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(1313);
    byte[] whole = dataSetOf(SyntheticCt.instance(spec, 1, 1, 1));
    // cut inside Pixel Data, its header still declaring all of it
    this.dataSet = Arrays.copyOf(whole, whole.length - 700);
    this.commandSop = SyntheticCt.sopInstanceUid(spec, 1, 1, 1) + ".9";
  }

  /** How many mutated PDUs connection {@code number}'s plan holds when the budget allows. */
  static int mutatedIn(int number) {
    return number % 3 == 0 ? 1 : PER_CONNECTION;
  }

  /**
   * The PDUs of connection {@code number}, at most {@code budget} of them mutated: for one in
   * three, a mutated A-ASSOCIATE-RQ; for the others, a valid one and {@link #PER_CONNECTION}
   * mutated P-DATA-TFs (a C-STORE's data set sometimes behind its unmutated command, release or
   * abort sometimes last). Every plan ends with the probe echo.
   */
  List<Step> plan(long seed, int number, int budget) {
    Random r = new Random(seed * 1_000_003L + number);
    List<Step> steps = new ArrayList<>();
    int count = Math.min(budget, mutatedIn(number));
    if (number % 3 == 0) {
      steps.add(mutated(Base.ASSOCIATE_RQ, r));
    } else {
      steps.add(plain(Base.ASSOCIATE_RQ, r));
      for (int i = 0; i < count; i++) {
        Base base = i == PER_CONNECTION - 1 && r.nextInt(10) == 0 ? (r.nextBoolean() ? Base.RELEASE_RQ : Base.ABORT)
            : pData(r);
        if (base == Base.STORE_DATA && r.nextBoolean()) steps.add(plain(Base.STORE_COMMAND, r));
        steps.add(mutated(base, r));
      }
    }
    steps.add(new Step(Base.ECHO, pData(command(ECHO_CONTEXT, echo(PROBE_MESSAGE_ID))).encode(), List.of()));
    return steps;
  }

  private static Base pData(Random r) {
    int w = r.nextInt(10);
    return w < 3 ? Base.ECHO : w < 5 ? Base.STORE_COMMAND : w < 7 ? Base.STORE_DATA : Base.STORE_WHOLE;
  }

  private Step mutated(Base base, Random r) {
    PduMutator.Mutated m = PduMutator.mutate(tree(base, r), r);
    return new Step(base, m.bytes(), m.applied());
  }

  private Step plain(Base base, Random r) {
    return new Step(base, tree(base, r).encode(), List.of());
  }

  PduNode tree(Base base, Random r) {
    int messageId = 1 + r.nextInt(1000);
    return switch (base) {
      case ASSOCIATE_RQ -> associateRequest();
      case ECHO -> pData(command(ECHO_CONTEXT, echo(messageId)));
      case STORE_COMMAND -> pData(command(STORE_CONTEXT, store(messageId)));
      case STORE_DATA -> pData(data(STORE_CONTEXT));
      case STORE_WHOLE -> pData(command(STORE_CONTEXT, store(messageId)), data(STORE_CONTEXT));
      case RELEASE_RQ -> PduNode.leaf(PduNode.Kind.PDU, 0x05, new byte[4], new byte[0]);
      case ABORT -> PduNode.leaf(PduNode.Kind.PDU, 0x07, new byte[4], new byte[0]);
    };
  }

  /** PS3.8 §9.3.2: Verification, and CT Image Storage in explicit and implicit VR, with the user items dcmtk sends. */
  private PduNode associateRequest() {
    ByteBuffer fixed = ByteBuffer.allocate(68);
    fixed.putShort((short) 1).putShort((short) 0).put(ae(called)).put(ae(calling));
    List<PduNode> items = new ArrayList<>();
    items.add(item(0x10, "1.2.840.10008.3.1.1.1"));
    items.add(context(ECHO_CONTEXT, Uids.VERIFICATION, Uids.IMPLICIT_VR_LITTLE_ENDIAN));
    items.add(context(STORE_CONTEXT, SyntheticCt.CT_IMAGE_STORAGE, Uids.EXPLICIT_VR_LITTLE_ENDIAN,
        Uids.IMPLICIT_VR_LITTLE_ENDIAN));
    items.add(context(STORE_IMPLICIT_CONTEXT, SyntheticCt.CT_IMAGE_STORAGE, Uids.IMPLICIT_VR_LITTLE_ENDIAN));
    byte[] sop = SyntheticCt.CT_IMAGE_STORAGE.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer role = ByteBuffer.allocate(4 + sop.length).putShort((short) sop.length).put(sop).put((byte) 1).put((byte) 0);
    items.add(PduNode.parent(PduNode.Kind.ITEM, 0x50, new byte[0], List.of(
        leafItem(0x51, ByteBuffer.allocate(4).putInt(16384).array()),
        item(0x52, "1.2.826.0.1.3680043.10.1313"),
        leafItem(0x53, new byte[] {0, 1, 0, 1}),
        leafItem(0x54, role.array()),
        item(0x55, "IMAGO_FUZZ"))));
    return PduNode.parent(PduNode.Kind.PDU, 0x01, fixed.array(), items);
  }

  private static PduNode context(int id, String abstractSyntax, String... transferSyntaxes) {
    List<PduNode> sub = new ArrayList<>();
    sub.add(item(0x30, abstractSyntax));
    for (String ts : transferSyntaxes) sub.add(item(0x40, ts));
    return PduNode.parent(PduNode.Kind.ITEM, 0x20, new byte[] {(byte) id, 0, 0, 0}, sub);
  }

  private static PduNode item(int type, String value) {
    return leafItem(type, value.getBytes(StandardCharsets.US_ASCII));
  }

  private static PduNode leafItem(int type, byte[] value) {
    return PduNode.leaf(PduNode.Kind.ITEM, type, new byte[0], value);
  }

  private static PduNode pData(PduNode... pdvs) {
    return PduNode.parent(PduNode.Kind.PDU, 0x04, new byte[0], List.of(pdvs));
  }

  /** A PDV with a whole command set, flagged command and last (PS3.8 §E.2). */
  private static PduNode command(int context, DimseCommand command) {
    return PduNode.parent(PduNode.Kind.PDV, 0, new byte[] {(byte) context, 0x03},
        PduNode.implicitElements(command.encode()));
  }

  private PduNode data(int context) {
    return PduNode.parent(PduNode.Kind.PDV, 0, new byte[] {(byte) context, 0x02}, PduNode.explicitElements(dataSet));
  }

  private static DimseCommand echo(int messageId) {
    return new DimseCommand(DimseCommand.C_ECHO_RQ, messageId, -1, Uids.VERIFICATION, null, false, 0, null);
  }

  private DimseCommand store(int messageId) {
    return new DimseCommand(DimseCommand.C_STORE_RQ, messageId, -1, SyntheticCt.CT_IMAGE_STORAGE, commandSop, true, 0,
        null);
  }

  private static byte[] dataSetOf(byte[] part10) {
    try {
      return DimseNode.dataset(part10);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] ae(String title) {
    return String.format("%-16s", title).getBytes(StandardCharsets.US_ASCII);
  }
}
