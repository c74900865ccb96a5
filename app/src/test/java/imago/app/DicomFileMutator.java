package imago.app;

import imago.core.dicom.Uids;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Changes a PS3.10 file into one a broken or hostile sender could STOW: element lengths, VRs and
 * tags that lie, another transfer syntax, elements dropped, repeated or made huge, sequences
 * nested thousands deep, bad UIDs and image sizes, a broken preamble or meta header, truncations
 * and bit flips. It finds the elements with a tolerant walk of its own ({@link DicomElements}), so
 * it can aim at headers rather than pixels. One to three mutations a file, chosen by the caller's
 * {@link Random} alone.
 */
final class DicomFileMutator {
  /** What was done to a file; named in the test's figures. */
  enum Mutation {
    ELEMENT_LENGTH, VR, TAG, TRANSFER_SYNTAX, META_LENGTH, DROP_ELEMENT, REPEAT_ELEMENT, HUGE_VALUE, NEST, UID_VALUE,
    IMAGE_SIZE, MAGIC, TRUNCATE, HEADER_BITS, BIT_FLIP
  }

  /** A mutated file, ready to send. */
  record Mutated(byte[] bytes, List<Mutation> applied) {}

  private static final long[] LENGTHS = {0, 1, 2, 3, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFEL,
      0xFFFFFFFFL};
  private static final String[] VRS = {"SQ", "OB", "OW", "UN", "UT", "US", "UL", "FD", "AT", "UI", "XX", "  ", "\0\0"};
  private static final int[] TAGS = {0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD, 0x00020010, 0x7FE00010, 0x00080018, 0x00000000,
      0xFFFFFFFF, 0x00280010, 0x00081140};
  private static final String[] TRANSFER_SYNTAXES = {Uids.IMPLICIT_VR_LITTLE_ENDIAN, Uids.EXPLICIT_VR_LITTLE_ENDIAN,
      Uids.EXPLICIT_VR_BIG_ENDIAN, Uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, "1.2.840.10008.1.2.4.50",
      "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.5", "1.2.3.4", "", "not a uid",
      "1." + "2".repeat(120)};
  private static final String[] UIDS = {"", "1", "abc.def", "1..2", "1.2.\0.3", "1.2.3 ", "0.01.2", "1." + "9".repeat(63),
      "1." + "9".repeat(300), "1.2.840.10008.5.1.4.1.1.2", "\u00e9.1"};
  /** Study, Series, SOP Instance, SOP Class UIDs, and the meta header's copies of the last two. */
  private static final int[] UID_TAGS = {0x0020000D, 0x0020000E, 0x00080018, 0x00080016, 0x00020003, 0x00020002};
  /** Samples per Pixel, Number of Frames, Rows, Columns, Bits Allocated, Bits Stored, Pixel Representation. */
  private static final int[] IMAGE_TAGS = {0x00280002, 0x00280008, 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280103};
  private static final int[] HUGE = {0xFFFF, 0x10000, 70_001, 1 << 20};
  private static final int[] DEPTHS = {2, 64, 3_000, 30_000};

  private DicomFileMutator() {}

  static Mutated mutate(byte[] file, Random r) {
    int count = r.nextInt(10) < 6 ? 1 : 2 + r.nextInt(2);
    List<Mutation> applied = new ArrayList<>();
    Mutation[] all = Mutation.values();
    byte[] f = file;
    for (int tries = 0; applied.size() < count && tries < 50; tries++) {
      Mutation m = all[r.nextInt(all.length)];
      byte[] changed = apply(m, f, DicomElements.of(f), r);
      if (changed != null) {
        f = changed;
        applied.add(m);
      }
    }
    return new Mutated(f, applied);
  }

  /** {@code f} changed by {@code m}, or null where it has no place for it. */
  private static byte[] apply(Mutation m, byte[] f, List<DicomElements.Element> elements, Random r) {
    DicomElements.Element e = elements.isEmpty() ? null : elements.get(r.nextInt(elements.size()));
    DicomElements.Element leaf = any(elements, r, x -> !x.container());
    return switch (m) {
      case ELEMENT_LENGTH -> e == null ? null : length(f, e, lie(e, f, r));
      case VR -> e == null || !e.explicit() || e.group() == 0xFFFE ? null
          : DicomElements.replace(f, e.offset() + 4, e.offset() + 6, ascii(VRS[r.nextInt(VRS.length)]));
      case TAG -> e == null ? null : DicomElements.replace(f, e.offset(), e.offset() + 4, e.tagBytes(retag(e, r)));
      case TRANSFER_SYNTAX -> value(f, find(elements, 0x00020010), ascii(TRANSFER_SYNTAXES[r.nextInt(TRANSFER_SYNTAXES.length)]),
          r.nextBoolean());
      case META_LENGTH -> {
        DicomElements.Element g = find(elements, 0x00020000);
        yield g == null || g.end() - g.valueOffset() < 4 ? null : DicomElements.replace(f, g.valueOffset(), g.valueOffset() + 4,
            g.lengthBytes(4, LENGTHS[r.nextInt(LENGTHS.length)]));
      }
      case DROP_ELEMENT -> leaf == null ? null : DicomElements.replace(f, leaf.offset(), leaf.end(), new byte[0]);
      case REPEAT_ELEMENT -> leaf == null ? null : repeat(f, leaf, 1 + r.nextInt(r.nextBoolean() ? 3 : 200));
      case HUGE_VALUE -> leaf == null ? null : value(f, leaf, huge(HUGE[r.nextInt(HUGE.length)], r), false);
      case NEST -> nest(f, elements, DEPTHS[r.nextInt(DEPTHS.length)], r.nextBoolean(), r);
      case UID_VALUE -> value(f, find(elements, UID_TAGS[r.nextInt(UID_TAGS.length)]),
          UIDS[r.nextInt(UIDS.length)].getBytes(StandardCharsets.UTF_8), true);
      case IMAGE_SIZE -> imageSize(f, find(elements, IMAGE_TAGS[r.nextInt(IMAGE_TAGS.length)]), r);
      case MAGIC -> magic(f, elements, r);
      case TRUNCATE -> Arrays.copyOf(f, e != null && r.nextBoolean() ? e.offset() : r.nextInt(Math.max(1, f.length)));
      case HEADER_BITS -> e == null ? null : flip(f, e.offset(), e.valueOffset() - e.offset(), 1 + r.nextInt(3), r);
      case BIT_FLIP -> flip(f, 0, f.length, 1 + r.nextInt(16), r);
    };
  }

  private static byte[] length(byte[] f, DicomElements.Element e, long length) {
    return DicomElements.replace(f, e.lengthOffset(), e.lengthOffset() + e.lengthWidth(), e.lengthBytes(e.lengthWidth(), length));
  }

  private static long lie(DicomElements.Element e, byte[] f, Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> e.length() + 1;
      case 1 -> Math.max(0, e.length() - 1);
      case 2 -> f.length + r.nextInt(1000);
      default -> LENGTHS[r.nextInt(LENGTHS.length)];
    };
  }

  /**
   * {@code e} with {@code value} (padded to even length), its length field saying so; with
   * {@code fixMeta}, the meta group length too where {@code e} is in group 0002.
   */
  private static byte[] value(byte[] f, DicomElements.Element e, byte[] value, boolean fixMeta) {
    if (e == null || e.container()) return null;
    byte[] v = value.length % 2 == 0 ? value : Arrays.copyOf(value, value.length + 1);
    byte[] changed = DicomElements.replace(f, e.valueOffset(), e.end(), v);
    changed = length(changed, e, v.length);
    if (!fixMeta || e.group() != 2) return changed;
    DicomElements.Element group = find(DicomElements.of(f), 0x00020000);
    if (group == null || group.end() - group.valueOffset() < 4) return changed;
    long metaLength = DicomElements.readLength(f, group.valueOffset(), 4, false) + v.length - e.length();
    return DicomElements.replace(changed, group.valueOffset(), group.valueOffset() + 4, group.lengthBytes(4, metaLength));
  }

  private static byte[] repeat(byte[] f, DicomElements.Element e, int copies) {
    byte[] one = Arrays.copyOfRange(f, e.offset(), e.end());
    byte[] many = new byte[one.length * copies];
    for (int i = 0; i < copies; i++) System.arraycopy(one, 0, many, i * one.length, one.length);
    return DicomElements.replace(f, e.end(), e.end(), many);
  }

  /** Sequences of undefined length, each holding one item that holds the next, {@code depth} deep; closed or not. */
  private static byte[] nest(byte[] f, List<DicomElements.Element> elements, int depth, boolean closed, Random r) {
    DicomElements.Element at = any(elements, r, x -> x.group() > 2 && x.group() != 0xFFFE);
    if (at == null) return null;
    byte[] open = concat(at.header(0x0040A730, "SQ", 0xFFFFFFFFL), at.header(0xFFFEE000, null, 0xFFFFFFFFL));
    byte[] close = concat(at.header(0xFFFEE00D, null, 0), at.header(0xFFFEE0DD, null, 0));
    byte[] nested = new byte[depth * (open.length + (closed ? close.length : 0))];
    for (int i = 0; i < depth; i++) System.arraycopy(open, 0, nested, i * open.length, open.length);
    for (int i = 0; closed && i < depth; i++) System.arraycopy(close, 0, nested, depth * open.length + i * close.length, close.length);
    return DicomElements.replace(f, at.offset(), at.offset(), nested);
  }

  private static byte[] imageSize(byte[] f, DicomElements.Element e, Random r) {
    if (e == null) return null;
    if (e.tag() == 0x00280008) { // Number of Frames is IS: text
      return value(f, e, ascii(new String[] {"0", "-1", "99999999", "1e9", "abc", "4294967297"}[r.nextInt(6)]), false);
    }
    int v = new int[] {0, 1, 3, 0x7FFF, 0x8000, 0xFFFF}[r.nextInt(6)];
    return value(f, e, e.bigEndian() ? new byte[] {(byte) (v >> 8), (byte) v} : new byte[] {(byte) v, (byte) (v >> 8)}, false);
  }

  /** No preamble, a wrong magic, no meta header, or nothing but the data set. */
  private static byte[] magic(byte[] f, List<DicomElements.Element> elements, Random r) {
    if (f.length < 132) return null;
    int dataSet = elements.stream().filter(x -> x.group() != 2).mapToInt(DicomElements.Element::offset).findFirst()
        .orElse(f.length);
    return switch (r.nextInt(4)) {
      case 0 -> Arrays.copyOfRange(f, 128, f.length);
      case 1 -> DicomElements.replace(f, 128, 132, ascii("DICN"));
      case 2 -> DicomElements.replace(f, 132, dataSet, new byte[0]);
      default -> Arrays.copyOfRange(f, dataSet, f.length);
    };
  }

  private static int retag(DicomElements.Element e, Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> TAGS[r.nextInt(TAGS.length)];
      case 1 -> e.tag() - 1; // out of order
      default -> r.nextInt();
    };
  }

  private static byte[] flip(byte[] f, int from, int length, int bits, Random r) {
    if (length <= 0) return null;
    byte[] b = f.clone();
    for (int i = 0; i < bits; i++) b[from + r.nextInt(length)] ^= (byte) (1 << r.nextInt(8));
    return b;
  }

  private static byte[] huge(int size, Random r) {
    byte[] v = new byte[size];
    if (r.nextBoolean()) r.nextBytes(v);
    else Arrays.fill(v, (byte) '1');
    return v;
  }

  private static DicomElements.Element find(List<DicomElements.Element> elements, int tag) {
    return elements.stream().filter(x -> x.tag() == tag).findFirst().orElse(null);
  }

  private static DicomElements.Element any(List<DicomElements.Element> elements, Random r,
      java.util.function.Predicate<DicomElements.Element> fits) {
    List<DicomElements.Element> c = elements.stream().filter(fits).toList();
    return c.isEmpty() ? null : c.get(r.nextInt(c.size()));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Explicit VRs with a 4-byte length (PS3.5 Table 7.1-1). */
  static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");
}
