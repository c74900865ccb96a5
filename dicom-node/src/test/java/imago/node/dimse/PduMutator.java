package imago.node.dimse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Changes a well-formed PDU into one a broken or hostile peer could send: its structure first
 * (types, lengths that lie, items repeated, dropped or reordered, huge values, PDV headers,
 * element tags and VRs), then its bytes (bit flips, truncations, garbage). One to three
 * mutations a PDU; which ones, and where, come from the caller's {@link Random} alone.
 */
final class PduMutator {
  /** What was done to a PDU; named in the test's figures. */
  enum Mutation {
    PDU_TYPE, ITEM_TYPE, LENGTH, HUGE_VALUE, REPEAT, DROP, SHUFFLE, PDV_HEADER, VR, VALUE_BITS,
    BIT_FLIP, TRUNCATE, TRUNCATE_CONSISTENT, GARBAGE;

    boolean onBytes() {
      return ordinal() >= BIT_FLIP.ordinal();
    }
  }

  /** A mutated PDU, ready to write. */
  record Mutated(byte[] bytes, List<Mutation> applied) {}

  private static final int[] PDU_TYPES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x10, 0x7F, 0x80, 0xFF};
  private static final int[] ITEM_TYPES = {0x00, 0x10, 0x20, 0x21, 0x30, 0x40, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56,
      0x57, 0x58, 0x59, 0xFF};
  /** Tags a command or data set should not hold where they end up: item delimiters, meta, pixel data, group length. */
  private static final int[] TAGS = {0x00000000, 0x00000002, 0x00000100, 0x00000800, 0x00001000, 0x00020010,
      0x00080016, 0x00080018, 0x00280010, 0x7FE00010, 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD, 0xFFFFFFFF};
  private static final String[] VRS = {"OB", "OW", "SQ", "UN", "UT", "UL", "US", "UI", "DS", "AE", "XX", "\0\0", "ob"};
  private static final long[] LENGTHS = {0, 1, 2, 3, 5, 0x7F, 0xFF, 0x100, 0x3FFF, 0x4000, 0xFFFF, 0x10000, 0x1FFFF,
      0x20000, 0x20001, 0xFFFFF, 0x100000, 0x100001, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFEL, 0xFFFFFFFFL};
  private static final int[] HUGE = {257, 4097, 65535, 65536, 70001, 131000};
  private static final int[] COPIES = {1, 1, 2, 3, 10, 127, 300};
  /** Repetition stops short of this: a PDU the server must refuse by its length, not one that fills the client. */
  private static final int MAX_REPEATED_BYTES = 1 << 20;

  private PduMutator() {}

  static Mutated mutate(PduNode base, Random r) {
    PduNode tree = base.copy();
    int count = r.nextInt(10) < 6 ? 1 : 2 + r.nextInt(2);
    List<Mutation> applied = new ArrayList<>();
    List<Mutation> later = new ArrayList<>();
    Mutation[] all = Mutation.values();
    while (applied.size() + later.size() < count) {
      Mutation m = all[r.nextInt(all.length)];
      if (m.onBytes()) {
        later.add(m);
      } else if (onTree(m, tree, r)) {
        applied.add(m);
      }
    }
    byte[] bytes = tree.encode();
    for (Mutation m : later) {
      bytes = onBytes(m, bytes, r);
      applied.add(m);
    }
    return new Mutated(bytes, applied);
  }

  /** Applies {@code m} somewhere in {@code tree}; false when the tree has no place for it. */
  private static boolean onTree(Mutation m, PduNode tree, Random r) {
    List<PduNode> nodes = tree.all();
    switch (m) {
      case PDU_TYPE -> tree.type = pick(PDU_TYPES, r, 256);
      case ITEM_TYPE -> {
        PduNode n = any(nodes, r, x -> x != tree && x.kind != PduNode.Kind.PDV && x.kind != PduNode.Kind.RAW);
        if (n == null) return false;
        n.type = n.kind == PduNode.Kind.ITEM ? pick(ITEM_TYPES, r, 256) : pickTag(n.type, r);
      }
      case LENGTH -> {
        PduNode n = any(nodes, r, x -> x.kind != PduNode.Kind.RAW);
        n.lengthOverride = lie(n, r);
      }
      case HUGE_VALUE -> {
        PduNode n = any(nodes, r, PduNode::isLeaf);
        if (n == null) return false;
        n.value = huge(n.value, HUGE[r.nextInt(HUGE.length)], r);
      }
      case REPEAT, DROP, SHUFFLE -> {
        return onChildren(m, nodes, r);
      }
      case PDV_HEADER -> {
        PduNode n = any(nodes, r, x -> x.kind == PduNode.Kind.PDV);
        if (n == null) return false;
        if (r.nextBoolean()) n.prefix[0] = (byte) pick(new int[] {0, 1, 2, 3, 5, 7, 255}, r, 256);
        else n.prefix[1] = (byte) pick(new int[] {0, 1, 2, 3, 4, 0x80, 0xFF}, r, 256);
      }
      case VR -> {
        PduNode n = any(nodes, r, x -> x.kind == PduNode.Kind.EXPLICIT_ELEMENT);
        if (n == null) return false;
        n.vr = VRS[r.nextInt(VRS.length)];
      }
      case VALUE_BITS -> {
        PduNode n = any(nodes, r, x -> x.isLeaf() && x.value.length > 0);
        if (n == null) return false;
        flip(n.value, 1 + r.nextInt(4), r);
      }
      default -> throw new IllegalArgumentException(m.name());
    }
    return true;
  }

  /** Repeats, drops or reorders the children of some node; false when no node has enough of them. */
  private static boolean onChildren(Mutation m, List<PduNode> nodes, Random r) {
    PduNode n = any(nodes, r, x -> x.children.size() > (m == Mutation.SHUFFLE ? 1 : 0));
    if (n == null) return false;
    switch (m) {
      case REPEAT -> repeat(n, r);
      case DROP -> n.children.remove(r.nextInt(n.children.size()));
      default -> Collections.shuffle(n.children, r);
    }
    return true;
  }

  private static byte[] onBytes(Mutation m, byte[] bytes, Random r) {
    switch (m) {
      case BIT_FLIP -> {
        byte[] b = bytes.clone();
        flip(b, 1 + r.nextInt(8), r);
        return b;
      }
      case TRUNCATE -> {
        return Arrays.copyOf(bytes, r.nextInt(Math.max(1, bytes.length)));
      }
      case TRUNCATE_CONSISTENT -> {
        if (bytes.length <= 7) return bytes;
        byte[] b = Arrays.copyOf(bytes, 6 + r.nextInt(bytes.length - 6));
        int body = b.length - 6; // the PDU header states what is left
        b[2] = (byte) (body >>> 24);
        b[3] = (byte) (body >>> 16);
        b[4] = (byte) (body >>> 8);
        b[5] = (byte) body;
        return b;
      }
      case GARBAGE -> {
        byte[] junk = new byte[1 + r.nextInt(64)];
        r.nextBytes(junk);
        int at = r.nextBoolean() ? bytes.length : r.nextInt(bytes.length + 1);
        byte[] b = new byte[bytes.length + junk.length];
        System.arraycopy(bytes, 0, b, 0, at);
        System.arraycopy(junk, 0, b, at, junk.length);
        System.arraycopy(bytes, at, b, at + junk.length, bytes.length - at);
        return b;
      }
      default -> throw new IllegalArgumentException(m.name());
    }
  }

  private static void repeat(PduNode parent, Random r) {
    int i = r.nextInt(parent.children.size());
    PduNode child = parent.children.get(i);
    int size = Math.max(1, child.encode().length);
    int copies = Math.min(COPIES[r.nextInt(COPIES.length)], Math.max(1, MAX_REPEATED_BYTES / size));
    for (int c = 0; c < copies; c++) parent.children.add(i + 1, child.copy());
  }

  private static long lie(PduNode n, Random r) {
    long truth = n.encode().length - headerLength(n);
    return switch (r.nextInt(4)) {
      case 0 -> Math.max(0, truth - 1 - r.nextInt(3));
      case 1 -> truth + 1 + r.nextInt(3);
      default -> LENGTHS[r.nextInt(LENGTHS.length)];
    };
  }

  /** How many of a node's encoded bytes are its header (for the true length of its body). */
  private static int headerLength(PduNode n) {
    return switch (n.kind) {
      case PDU -> 6;
      case ITEM, PDV -> 4;
      case IMPLICIT_ELEMENT -> 8;
      case EXPLICIT_ELEMENT -> n.encode().length - n.prefix.length - n.value.length;
      case RAW -> 0;
    };
  }

  private static byte[] huge(byte[] original, int size, Random r) {
    byte[] v = new byte[size];
    switch (r.nextInt(3)) {
      case 0 -> r.nextBytes(v);
      case 1 -> Arrays.fill(v, (byte) '1'); // a UID or number of absurd length
      default -> {
        for (int i = 0; i < size; i++) v[i] = original.length == 0 ? 0 : original[i % original.length];
      }
    }
    return v;
  }

  private static void flip(byte[] b, int bits, Random r) {
    if (b.length == 0) return;
    for (int i = 0; i < bits; i++) b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
  }

  private static int pick(int[] interesting, Random r, int bound) {
    return r.nextInt(4) == 0 ? r.nextInt(bound) : interesting[r.nextInt(interesting.length)];
  }

  /** Another tag: one that means something elsewhere, the next element of the group, or any. */
  private static int pickTag(int tag, Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> TAGS[r.nextInt(TAGS.length)];
      case 1 -> (tag & 0xFFFF0000) | ((tag + 1) & 0xFFFF);
      default -> r.nextInt();
    };
  }

  private static PduNode any(List<PduNode> nodes, Random r, java.util.function.Predicate<PduNode> fits) {
    List<PduNode> candidates = nodes.stream().filter(fits).toList();
    return candidates.isEmpty() ? null : candidates.get(r.nextInt(candidates.size()));
  }
}
