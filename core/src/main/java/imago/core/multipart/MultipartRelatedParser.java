package imago.core.multipart;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A push parser for {@code multipart/related} bodies (RFC 2046 §5.1, RFC 2387), as STOW-RS
 * receives them (PS3.18 §10.5): fed chunks as they arrive from the network, it streams each part's
 * body to a {@link PartListener} and holds at most one delimiter's worth of bytes itself, so a
 * request of hundreds of large instances never sits in memory.
 *
 * <p>Delimiters are found with Boyer-Moore-Horspool over each chunk; a delimiter cut by a chunk
 * edge is carried as a count, which is enough because the delimiter starts with the only CR it
 * contains (RFC 2046 bchars exclude CR): a prefix of it can start only at the last CR of a chunk.
 * The same fact keeps the search linear, since comparisons begin at a CR and near-matches cannot
 * overlap. Not thread-safe: feed it from one thread (a Vert.x request handler does).
 */
public final class MultipartRelatedParser {
  /** Most bytes of one part's header section, the terminating empty line included. */
  public static final int MAX_HEADER_BYTES = 16 * 1024;
  /** Most bytes before the first delimiter: a body that shows no boundary by then is refused. */
  public static final int MAX_PREAMBLE_BYTES = 64 * 1024;
  /** Most transport padding (RFC 2046 LWSP) after a boundary, before its CRLF. */
  static final int MAX_PADDING = 1024;
  private static final int MAX_BOUNDARY_LENGTH = 200;
  private static final int COPY_CHUNK = 64 * 1024;

  private enum State { PREAMBLE, AFTER_BOUNDARY, PADDING, LINE_END, CLOSE_DASH, HEADERS, BODY, EPILOGUE, FINISHED, FAILED }

  private final String boundary;
  private final PartListener listener;
  /** CRLF "--" boundary: the delimiter of RFC 2046, whose leading CRLF belongs to it. */
  private final byte[] delimiter;
  private final int[] shift = new int[256];
  private final byte[] held;
  private final HeaderSection headers = new HeaderSection(MAX_HEADER_BYTES);
  private byte[] copyBuffer;
  private State state = State.PREAMBLE;
  /** Bytes at the end of the input so far that equal delimiter[0..matched): not yet passed on. */
  private int matched;
  /** How many of the matched bytes are an assumed CRLF that is not content (see {@link #assumeLineStart}). */
  private int assumed;
  private long preamble;
  private int padding;

  /**
   * @param boundary the {@code boundary} parameter of the request's Content-Type, unquoted
   * @throws IllegalArgumentException if it is empty, longer than 200 characters, or holds anything
   *     but printable ASCII (RFC 2046 allows 70 of a smaller set; real senders stray a little)
   */
  public MultipartRelatedParser(String boundary, PartListener listener) {
    if (!isValidBoundary(boundary)) throw new IllegalArgumentException("invalid multipart boundary: " + boundary);
    this.boundary = boundary;
    this.listener = Objects.requireNonNull(listener, "listener");
    delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
    held = new byte[delimiter.length];
    int m = delimiter.length;
    Arrays.fill(shift, m);
    for (int j = 0; j < m - 1; j++) shift[delimiter[j] & 0xff] = m - 1 - j;
    assumeLineStart();
  }

  /** A parser for a request whose Content-Type is {@code contentType}. */
  public static MultipartRelatedParser forContentType(String contentType, PartListener listener)
      throws MalformedMultipartException {
    String b = boundary(contentType)
        .orElseThrow(() -> new MalformedMultipartException("no boundary parameter in Content-Type: " + contentType));
    if (!isValidBoundary(b)) throw new MalformedMultipartException("invalid multipart boundary: " + b);
    return new MultipartRelatedParser(b, listener);
  }

  /** The {@code boundary} parameter of a Content-Type value, unquoted; empty if absent or blank. */
  public static Optional<String> boundary(String contentType) {
    return Optional.ofNullable(parameters(contentType).get("boundary")).filter(b -> !b.isEmpty());
  }

  /**
   * The parameters of a Content-Type value (RFC 2045 §5.1), names lower-cased, quoted values
   * unquoted: {@code multipart/related; type="application/dicom"; boundary=x} gives
   * {@code {type=application/dicom, boundary=x}}. The first of repeated names wins.
   */
  public static Map<String, String> parameters(String contentType) {
    return ContentTypes.parameters(contentType);
  }

  /** The media type of a Content-Type value, lower-cased, without parameters ("" for null). */
  public static String mediaType(String contentType) {
    return ContentTypes.mediaType(contentType);
  }

  public String boundary() {
    return boundary;
  }

  /** True once the close delimiter ({@code --boundary--}) was seen; what follows is ignored. */
  public boolean closed() {
    return state == State.EPILOGUE || state == State.FINISHED;
  }

  public void feed(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    requireOpen();
    int end = off + len;
    int pos = off;
    try {
      while (pos < end) pos = step(b, pos, end);
    } catch (IOException | RuntimeException e) {
      state = State.FAILED;
      throw e;
    }
  }

  /** Consumes the buffer's remaining bytes (its position ends at its limit). */
  public void feed(ByteBuffer buffer) throws IOException {
    if (buffer.hasArray()) {
      int n = buffer.remaining();
      feed(buffer.array(), buffer.arrayOffset() + buffer.position(), n);
      buffer.position(buffer.limit());
      return;
    }
    if (copyBuffer == null) copyBuffer = new byte[COPY_CHUNK];
    while (buffer.hasRemaining()) {
      int n = Math.min(buffer.remaining(), copyBuffer.length);
      buffer.get(copyBuffer, 0, n);
      feed(copyBuffer, 0, n);
    }
  }

  /**
   * The body ended. Succeeds only if the close delimiter was seen.
   *
   * @throws MalformedMultipartException if the body held no delimiter or ended inside a part
   */
  public void finish() throws MalformedMultipartException {
    requireOpen();
    State last = state;
    state = State.FAILED;
    if (last == State.PREAMBLE) throw new MalformedMultipartException("no boundary found: the body never contains --" + boundary);
    if (last != State.EPILOGUE) throw new MalformedMultipartException("body ended before the close delimiter --" + boundary + "--");
    state = State.FINISHED;
  }

  private void requireOpen() {
    if (state == State.FINISHED) throw new IllegalStateException("parser already finished");
    if (state == State.FAILED) throw new IllegalStateException("parser failed earlier");
  }

  private int step(byte[] b, int pos, int end) throws IOException {
    switch (state) {
      case PREAMBLE:
      case BODY:
        return scan(b, pos, end);
      case HEADERS:
        return header(b, pos, end);
      case EPILOGUE:
        return end; // RFC 2046: the epilogue is to be ignored
      default:
        boundaryLine(b[pos]);
        return pos + 1;
    }
  }

  /** Passes content on up to the next delimiter, or up to a possible delimiter start at the end. */
  private int scan(byte[] b, int pos, int end) throws IOException {
    if (matched > 0) return continueMatch(b, pos, end);
    int found = indexOfDelimiter(b, pos, end);
    if (found >= 0) {
      content(b, pos, found - pos);
      delimiterFound();
      return found + delimiter.length;
    }
    int tail = partialDelimiterAt(b, pos, end);
    content(b, pos, tail - pos);
    matched = end - tail;
    return end;
  }

  /** The input so far ends with delimiter[0..matched): does this chunk complete it? */
  private int continueMatch(byte[] b, int pos, int end) throws IOException {
    int n = Math.min(delimiter.length - matched, end - pos);
    if (Arrays.mismatch(b, pos, pos + n, delimiter, matched, matched + n) < 0) {
      matched += n;
      if (matched == delimiter.length) {
        matched = 0;
        assumed = 0;
        delimiterFound();
      }
      return pos + n;
    }
    // Not a delimiter after all: the held bytes were content. Rescan from pos, which may be a CR.
    int from = assumed;
    int k = matched;
    matched = 0;
    assumed = 0;
    System.arraycopy(delimiter, from, held, 0, k - from);
    content(held, 0, k - from);
    return pos;
  }

  /**
   * Treats the next byte as the start of a line whose CRLF was already consumed, so a boundary
   * there is found too: at the very start of the body (RFC 2046 lets the first boundary open it),
   * and right after a header section, where the BNF lets a part end with no empty line and body
   * ({@code body-part := MIME-part-headers [CRLF *OCTET]}).
   */
  private void assumeLineStart() {
    matched = 2;
    assumed = 2;
  }

  /** Boyer-Moore-Horspool; the window is compared from its CR forward. */
  private int indexOfDelimiter(byte[] b, int from, int end) {
    int m = delimiter.length;
    byte last = delimiter[m - 1];
    for (int i = from; i <= end - m; i += shift[b[i + m - 1] & 0xff]) {
      if (b[i + m - 1] == last && b[i] == '\r' && Arrays.mismatch(b, i, i + m - 1, delimiter, 0, m - 1) < 0) return i;
    }
    return -1;
  }

  /** Where a delimiter prefix that runs to {@code end} starts, or {@code end} if none does. */
  private int partialDelimiterAt(byte[] b, int from, int end) {
    int start = Math.max(from, end - (delimiter.length - 1));
    for (int i = end - 1; i >= start; i--) {
      if (b[i] == '\r') return Arrays.equals(b, i, end, delimiter, 0, end - i) ? i : end;
    }
    return end;
  }

  private void content(byte[] b, int off, int len) throws IOException {
    if (len == 0) return;
    if (state == State.BODY) {
      listener.partData(b, off, len);
      return;
    }
    preamble += len;
    if (preamble > MAX_PREAMBLE_BYTES) {
      throw new MalformedMultipartException("no boundary found: --" + boundary + " not in the first " + MAX_PREAMBLE_BYTES + " bytes");
    }
  }

  private void delimiterFound() throws IOException {
    boolean endsPart = state == State.BODY;
    state = State.AFTER_BOUNDARY;
    padding = 0;
    if (endsPart) listener.partEnded();
  }

  /** RFC 2046: after the boundary, "--" closes the body; else transport padding, then CRLF. */
  private void boundaryLine(byte c) throws MalformedMultipartException {
    switch (state) {
      case AFTER_BOUNDARY:
        if (c == '-') {
          state = State.CLOSE_DASH;
          return;
        }
        // fall through: padding or CR
      case PADDING:
        if (c == ' ' || c == '\t') {
          state = State.PADDING;
          if (++padding > MAX_PADDING) throw new MalformedMultipartException("more than " + MAX_PADDING + " bytes of padding after a boundary");
        } else if (c == '\r') {
          state = State.LINE_END;
        } else {
          throw unexpected(c, "after the boundary --" + boundary);
        }
        return;
      case CLOSE_DASH:
        if (c != '-') throw unexpected(c, "in the close delimiter --" + boundary + "--");
        state = State.EPILOGUE;
        return;
      case LINE_END:
        if (c != '\n') throw unexpected(c, "after CR on a boundary line");
        state = State.HEADERS;
        headers.reset();
        return;
      default:
        throw new IllegalStateException(state.name());
    }
  }

  private int header(byte[] b, int pos, int end) throws IOException {
    int stop = headers.append(b, pos, end);
    if (headers.complete()) {
      Map<String, String> fields = headers.fields();
      state = State.BODY;
      assumeLineStart();
      listener.partStarted(fields);
    }
    return stop;
  }

  private static MalformedMultipartException unexpected(byte c, String where) {
    return new MalformedMultipartException(String.format("unexpected byte 0x%02X %s", c & 0xff, where));
  }

  /** Whether a parser can take {@code b}: 1-200 printable ASCII characters (see the constructor). */
  public static boolean isValidBoundary(String b) {
    if (b == null || b.isEmpty() || b.length() > MAX_BOUNDARY_LENGTH) return false;
    for (int i = 0; i < b.length(); i++) {
      char c = b.charAt(i);
      if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
  }
}
