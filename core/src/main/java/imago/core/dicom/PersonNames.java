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

  /** The longest word kept for fuzzy matching, in UTF-8 bytes (longer words are cut: a prefix still finds them). */
  public static final int MAX_WORD_BYTES = 128;
  private static final Pattern WORD_BREAK = Pattern.compile("[^\\p{L}\\p{N}]+");

  /**
   * The words of a folded name, each its own entry in the fuzzy-matching index: "BIANCHI^NICOLO
   * MARIA" gives BIANCHI, NICOLO, MARIA. Components (^), spaces, hyphens and apostrophes separate words,
   * so "d'Amico-Rossi" is found by "amico" and by "rossi".
   */
  /**
   * The index key of a word or word prefix: its UTF-8 bytes in upper-case hex. Hex digits order
   * the same under every database collation, so the keys of the words a prefix begins are exactly
   * [key(prefix), key(prefix) + "G").
   */
  /** {@code word} cut to at most {@link #MAX_WORD_BYTES} UTF-8 bytes, never inside a character. */
  public static String cut(String word) {
    if (word.length() * 3 <= MAX_WORD_BYTES) return word;
    int bytes = 0;
    for (int i = 0; i < word.length(); ) {
      int cp = word.codePointAt(i);
      int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + n > MAX_WORD_BYTES) return word.substring(0, i);
      bytes += n;
      i += Character.charCount(cp);
    }
    return word;
  }

  public static String wordKey(String word) {
    return java.util.HexFormat.of().withUpperCase().formatHex(word.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public static java.util.Set<String> words(String folded) {
    java.util.Set<String> words = new java.util.LinkedHashSet<>();
    if (folded == null) return words;
    for (String w : WORD_BREAK.split(folded)) {
      if (!w.isEmpty()) words.add(cut(w));
    }
    return words;
  }
}
