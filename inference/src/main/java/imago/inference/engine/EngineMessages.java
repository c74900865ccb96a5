package imago.inference.engine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an engine's exception into one readable line. libtorch appends C++ frames and TorchScript
 * tracebacks, ONNX Runtime prefixes error codes, and wrappers hide the real message in a cause.
 */
public final class EngineMessages {

  private static final int MAX_LENGTH = 400;

  /** {@code RuntimeError: ...}, the line a TorchScript traceback ends with. */
  private static final Pattern PYTHON_ERROR = Pattern.compile("^\\s*[A-Za-z_.]*(Error|Exception): (.+)$");

  private static final Pattern ORT_PREFIX = Pattern.compile("^Error code - \\w+ - message: ");

  private EngineMessages() {}

  /** The most specific message in {@code error}'s cause chain, as one line. */
  public static String oneLine(Throwable error) {
    String message = null;
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    if (message == null) {
      return error.getClass().getSimpleName();
    }
    return clip(bestLine(message));
  }

  private static String bestLine(String message) {
    String[] lines = message.split("\\R");
    String last = null;
    for (String line : lines) {
      Matcher m = PYTHON_ERROR.matcher(line);
      if (m.matches()) {
        last = m.group(2);
      }
    }
    if (last != null) {
      return last.strip();
    }
    for (String line : lines) {
      if (!line.isBlank()) {
        return ORT_PREFIX.matcher(line.strip()).replaceFirst("");
      }
    }
    return message.strip();
  }

  private static String clip(String line) {
    return line.length() <= MAX_LENGTH ? line : line.substring(0, MAX_LENGTH - 3) + "...";
  }
}
