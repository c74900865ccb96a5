package imago.core.multipart;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One part's header section (RFC 2046 §5.1.1, RFC 822 fields), collected up to its empty line in
 * a buffer with a hard size limit, then split into fields.
 */
final class HeaderSection {
  private final int limit;
  private byte[] bytes = new byte[512];
  private int length;
  private boolean complete;

  HeaderSection(int limit) {
    this.limit = limit;
  }

  void reset() {
    length = 0;
    complete = false;
  }

  boolean complete() {
    return complete;
  }

  /** Takes bytes up to and including the section's empty line; returns where it stopped. */
  int append(byte[] b, int pos, int end) throws MalformedMultipartException {
    while (pos < end && !complete) {
      if (length == limit) throw new MalformedMultipartException("part header section longer than " + limit + " bytes");
      if (length == bytes.length) bytes = Arrays.copyOf(bytes, Math.min(limit, bytes.length * 2));
      byte c = b[pos++];
      bytes[length++] = c;
      if (c == '\n') complete = endsWithEmptyLine();
    }
    return pos;
  }

  private boolean endsWithEmptyLine() {
    // A part may have no header fields at all: then the section is just its empty line.
    if (length == 2) return bytes[0] == '\r';
    return length >= 4 && bytes[length - 4] == '\r' && bytes[length - 3] == '\n' && bytes[length - 2] == '\r';
  }

  /** The fields, names lower-cased; folded lines joined; repeated fields joined with ", ". */
  Map<String, String> fields() throws MalformedMultipartException {
    // RFC 822 headers are ASCII; ISO-8859-1 maps every byte, so nothing fails to decode.
    String text = new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    Map<String, String> fields = new LinkedHashMap<>();
    String name = null;
    StringBuilder value = new StringBuilder();
    for (String line : text.split("\r\n")) {
      if (line.isEmpty()) continue;
      if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        if (name == null) throw new MalformedMultipartException("part header section starts with a continuation line");
        value.append(' ').append(line.trim());
        continue;
      }
      if (name != null) put(fields, name, value.toString());
      int colon = line.indexOf(':');
      if (colon <= 0) throw new MalformedMultipartException("part header line without a field name");
      name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      value.setLength(0);
      value.append(line.substring(colon + 1).trim());
    }
    if (name != null) put(fields, name, value.toString());
    return Collections.unmodifiableMap(fields);
  }

  private static void put(Map<String, String> fields, String name, String value) {
    fields.merge(name, value, (a, b) -> a + ", " + b);
  }
}
