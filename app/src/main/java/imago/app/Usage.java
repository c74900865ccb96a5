package imago.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The command line's usage text, kept in {@code imago/usage.txt} so that the launcher can print the
 * same file before the first build ({@code ./imago --help}).
 */
final class Usage {
  private static final String TEXT = load();

  private Usage() {}

  static String all() {
    return TEXT;
  }

  /** The lines about one command ({@code models}, {@code inference}): its entries and their continuations. */
  static String of(String command) {
    StringBuilder out = new StringBuilder();
    boolean inside = false;
    for (String line : TEXT.split("\n")) {
      boolean entry = line.startsWith("  ") && !line.startsWith("   ");
      if (entry) inside = line.startsWith("  " + command + " ") || line.equals("  " + command);
      else if (!line.startsWith("   ")) inside = false;
      if (inside) out.append(line).append('\n');
    }
    return out.toString();
  }

  private static String load() {
    try (InputStream in = Usage.class.getResourceAsStream("/imago/usage.txt")) {
      if (in == null) throw new IllegalStateException("imago/usage.txt is missing from the build");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
