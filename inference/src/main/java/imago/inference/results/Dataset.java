package imago.inference.results;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import imago.core.dicom.Datasets;
import imago.inference.manifest.Manifest;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Small helpers for building data sets with PixelMed. Every string is written in UTF-8 (the
 * writers declare Specific Character Set "ISO_IR 192", PS3.3 C.12.1.1.2), values copied from
 * the sources included, so names in any repertoire survive.
 */
final class Dataset {
  private static final DateTimeFormatter DA =
      DateTimeFormatter.ofPattern("uuuuMMdd", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter TM =
      DateTimeFormatter.ofPattern("HHmmss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final int DS_MAX = 16;
  private static final int LO_MAX = 64;

  private Dataset() {}

  /** Copies {@code tag} only when {@code from} has a value for it. */
  static boolean copyIfPresent(AttributeList from, AttributeList to, AttributeTag tag) {
    if (Datasets.text(from, tag).isEmpty()) return false;
    Datasets.copy(from, to, tag);
    return true;
  }

  /** A sequence holding one item: the code (the one Code Sequence writer, {@link Datasets#putCode}). */
  static void putCode(AttributeList list, AttributeTag sequenceTag, Manifest.Code code) {
    Datasets.putCode(list, sequenceTag, code.scheme(), code.value(), code.meaning());
  }

  static String lo(String s) {
    return s.length() <= LO_MAX ? s : s.substring(0, LO_MAX);
  }

  /** DS (PS3.5 6.2): at most 16 characters; plain notation when it fits, else E notation. */
  static String ds(double v) {
    String plain = new BigDecimal(v).round(new MathContext(10)).stripTrailingZeros().toPlainString();
    if (plain.length() <= DS_MAX) return plain;
    String sci = String.format(Locale.ROOT, "%.8E", v);
    return sci.length() <= DS_MAX ? sci : String.format(Locale.ROOT, "%.6E", v);
  }

  static String date(Instant t) {
    return DA.format(t);
  }

  static String time(Instant t) {
    return TM.format(t);
  }

  /** DT with an explicit UTC offset (PS3.5 Table 6.2-1). */
  static String dateTime(Instant t) {
    return date(t) + time(t) + "+0000";
  }
}
