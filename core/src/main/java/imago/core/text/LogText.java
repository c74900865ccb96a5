package imago.core.text;

/**
 * Text from outside (a peer's AE title, a header) as it may appear in a log line: quoted, with
 * quotes, backslashes and every character outside printable ASCII escaped, and cut to a length,
 * so no sender can forge a line ({@code \n event=...}) or a field of one.
 */
public final class LogText {
  private static final int MAX = 128;

  private LogText() {}

  public static String quoted(String text) {
    if (text == null) return "null";
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX) + 2).append('"');
    for (int i = 0; i < text.length() && i < MAX; i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\x%02x", (int) c & 0xff));
      } else {
        out.append(c);
      }
    }
    if (text.length() > MAX) out.append("...");
    return out.append('"').toString();
  }
}
