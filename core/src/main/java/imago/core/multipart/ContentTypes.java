package imago.core.multipart;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Splits a Content-Type value into its media type and parameters (RFC 2045 §5.1, RFC 7231 §3.1.1.1). */
final class ContentTypes {
  private ContentTypes() {}

  static String mediaType(String contentType) {
    if (contentType == null) return "";
    int semicolon = contentType.indexOf(';');
    String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return type.trim().toLowerCase(Locale.ROOT);
  }

  static Map<String, String> parameters(String contentType) {
    if (contentType == null) return Map.of();
    Map<String, String> parameters = new LinkedHashMap<>();
    String s = contentType;
    int i = s.indexOf(';');
    while (i >= 0 && i < s.length()) {
      i++; // past ';'
      int eq = indexOfEither(s, '=', ';', i);
      if (eq < 0 || s.charAt(eq) == ';') {
        i = eq; // a name without a value: skip it
        continue;
      }
      String name = s.substring(i, eq).trim().toLowerCase(Locale.ROOT);
      int v = skipSpaces(s, eq + 1);
      StringBuilder value = new StringBuilder();
      if (v < s.length() && s.charAt(v) == '"') {
        i = quoted(s, v + 1, value);
        i = s.indexOf(';', i);
      } else {
        int next = s.indexOf(';', v);
        value.append(s, v, next < 0 ? s.length() : next);
        i = next;
        trimEnd(value);
      }
      if (!name.isEmpty()) parameters.putIfAbsent(name, value.toString());
    }
    return Collections.unmodifiableMap(parameters);
  }

  /** Reads a quoted-string body into {@code out}, undoing backslash escapes; returns the index after the closing quote. */
  private static int quoted(String s, int i, StringBuilder out) {
    while (i < s.length()) {
      char c = s.charAt(i++);
      if (c == '"') return i;
      if (c == '\\' && i < s.length()) c = s.charAt(i++);
      out.append(c);
    }
    return i; // unterminated: take what is there
  }

  private static int indexOfEither(String s, char a, char b, int from) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == a || c == b) return i;
    }
    return -1;
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
    return i;
  }

  private static void trimEnd(StringBuilder b) {
    while (b.length() > 0 && Character.isWhitespace(b.charAt(b.length() - 1))) b.setLength(b.length() - 1);
  }
}
