package imago.core.dicom;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/** Person Name (PN) helpers for matching. */
public final class PersonNames {
  private static final Pattern MARKS = Pattern.compile("\\p{M}+");

  private PersonNames() {}

  /**
   * The name folded for PS3.18 fuzzymatching: accents removed, upper case, the alphabetic group
   * only ("Nicolò^Bianchi=..." -> "NICOLO^BIANCHI"), so "nicolo", "Nicolò" and "NICOLO" meet.
   */
  public static String fold(String name) {
    if (name == null) return "";
    String alphabetic = name.split("=", -1)[0];
    String decomposed = Normalizer.normalize(alphabetic, Normalizer.Form.NFD);
    return MARKS.matcher(decomposed).replaceAll("").toUpperCase(Locale.ROOT).trim();
  }
}
