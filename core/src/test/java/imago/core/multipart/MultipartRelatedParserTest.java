package imago.core.multipart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MultipartRelatedParserTest {
  private static final String BOUNDARY = "imago-7f3a";

  // --- Content-Type parameters ---

  @Test
  void readsBoundaryAndTypeFromStowContentType() {
    String ct = "multipart/related; type=\"application/dicom\"; boundary=" + BOUNDARY;
    assertEquals(Optional.of(BOUNDARY), MultipartRelatedParser.boundary(ct));
    assertEquals(Map.of("type", "application/dicom", "boundary", BOUNDARY), MultipartRelatedParser.parameters(ct));
    assertEquals("multipart/related", MultipartRelatedParser.mediaType(ct));
  }

  @Test
  void unquotesQuotedParametersWithSeparatorsAndEscapes() {
    String ct = "Multipart/Related;TYPE=\"application/dicom+xml; x=1\" ; Boundary=\"a b;c=\\\"d\\\\\";start=\"<1@x>\"";
    Map<String, String> p = MultipartRelatedParser.parameters(ct);
    assertEquals("application/dicom+xml; x=1", p.get("type"));
    assertEquals("a b;c=\"d\\", p.get("boundary"));
    assertEquals("<1@x>", p.get("start"));
    assertEquals("multipart/related", MultipartRelatedParser.mediaType(ct));
  }

  @Test
  void reportsNoBoundaryWhenAbsentOrEmpty() {
    assertEquals(Optional.empty(), MultipartRelatedParser.boundary("multipart/related; type=\"application/dicom\""));
    assertEquals(Optional.empty(), MultipartRelatedParser.boundary("multipart/related; boundary=\"\""));
    assertEquals(Optional.empty(), MultipartRelatedParser.boundary(null));
    assertEquals(Map.of(), MultipartRelatedParser.parameters("application/dicom"));
    assertEquals(Map.of("boundary", "x"), MultipartRelatedParser.parameters("multipart/related;;novalue; boundary = x ;"));
    assertThrows(MalformedMultipartException.class, () -> MultipartRelatedParser.forContentType("multipart/related", new Recorder()));
  }

  @Test
  void refusesBoundariesThatCannotBeDelimiters() {
    assertThrows(IllegalArgumentException.class, () -> new MultipartRelatedParser("", new Recorder()));
    assertThrows(IllegalArgumentException.class, () -> new MultipartRelatedParser("a\r\nb", new Recorder()));
    assertThrows(IllegalArgumentException.class, () -> new MultipartRelatedParser("x".repeat(201), new Recorder()));
    assertThrows(MalformedMultipartException.class,
        () -> MultipartRelatedParser.forContentType("multipart/related; boundary=\"caf\u00e9\"", new Recorder()));
  }

  // --- framing ---

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 7, 8192})
  void findsEveryPartWhateverTheChunkSize(int chunk) throws IOException {
    byte[] body = stowBody();
    Recorder r = parse(body, chunk);
    assertStowParts(r);
  }

  @Test
  void findsEveryPartWithRandomChunkEdges() throws IOException {
    byte[] body = stowBody();
    Random random = new Random(42);
    for (int run = 0; run < 200; run++) {
      Recorder r = new Recorder();
      MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, r);
      int pos = 0;
      while (pos < body.length) {
        int n = Math.min(body.length - pos, random.nextInt(40));
        p.feed(body, pos, n);
        pos += n;
      }
      p.finish();
      assertStowParts(r);
    }
  }

  @Test
  void ignoresPreambleEpilogueAndTransportPadding() throws IOException {
    String body = "This is a preamble.\r\n--" + BOUNDARY + " \t \r\n"
        + "Content-Type: application/dicom\r\n\r\nAB\r\n--" + BOUNDARY + "--  \r\nthe epilogue\r\n--" + BOUNDARY + "\r\nignored";
    Recorder r = parse(ascii(body), 3);
    assertEquals(List.of("AB"), r.bodies());
  }

  @Test
  void acceptsBoundaryAtTheVeryStartAndNoFinalCrlf() throws IOException {
    Recorder r = parse(ascii("--" + BOUNDARY + "\r\n\r\nx\r\n--" + BOUNDARY + "--"), 1);
    assertEquals(List.of("x"), r.bodies());
    assertEquals(Map.of(), r.parts.get(0).headers);
  }

  @Test
  void keepsBytesThatOnlyLookLikeADelimiter() throws IOException {
    String tricky = "\r\n--imago-7f3\r\r\n--imago-7f3-not\n--" + BOUNDARY + "\r\r\n-\r\n--\r\n--i--" + BOUNDARY + "\r";
    for (int chunk : new int[] {1, 2, 3, 5, 7, 13, 8192}) {
      Recorder r = parse(multipart(List.of(tricky, "\r", "\r\n--" + BOUNDARY.substring(0, 5))), chunk);
      assertEquals(List.of(tricky, "\r", "\r\n--" + BOUNDARY.substring(0, 5)), r.bodies(), "chunk " + chunk);
    }
  }

  @Test
  void readsEmptyPartsWithAndWithoutHeaders() throws IOException {
    // RFC 2046 body-part := MIME-part-headers [CRLF *OCTET]: the empty line and body may be absent.
    String b = "--" + BOUNDARY;
    String body = b + "\r\nContent-Type: a\r\n\r\n\r\n" + b + "\r\nContent-Type: b\r\n" + "\r\n" + b + "\r\n\r\n" + b + "\r\n\r\n\r\n" + b + "--";
    for (int chunk : new int[] {1, 2, 7, 8192}) {
      Recorder r = parse(ascii(body), chunk);
      assertEquals(List.of("", "", "", ""), r.bodies());
      assertEquals("a", r.parts.get(0).headers.get("content-type"));
      assertEquals("b", r.parts.get(1).headers.get("content-type"));
      assertEquals(Map.of(), r.parts.get(2).headers);
    }
  }

  @Test
  void lowerCasesHeaderNamesAndUnfoldsContinuationLines() throws IOException {
    String body = "--" + BOUNDARY + "\r\nContent-TYPE:application/dicom; transfer-syntax=1.2.840.10008.1.2.1\r\n"
        + "Content-Location: http://x/a\r\n  /b\r\nX-A: 1\r\nx-a: 2\r\n\r\n\u0000\r\n--" + BOUNDARY + "--\r\n";
    Map<String, String> h = parse(ascii(body), 5).parts.get(0).headers;
    assertEquals("application/dicom; transfer-syntax=1.2.840.10008.1.2.1", h.get("content-type"));
    assertEquals("http://x/a /b", h.get("content-location"));
    assertEquals("1, 2", h.get("x-a"));
  }

  @Test
  void matchesGeneratedBodiesFullOfNearDelimiters() throws IOException {
    Random random = new Random(7);
    byte[] alphabet = ascii("\r\n-" + BOUNDARY + "\u0000\u00ff");
    for (int run = 0; run < 300; run++) {
      List<String> contents = new ArrayList<>();
      for (int i = random.nextInt(4); i >= 0; i--) contents.add(nearDelimiterText(random, alphabet));
      byte[] body = multipart(contents);
      int chunk = 1 + random.nextInt(run % 2 == 0 ? 20 : 3000);
      assertEquals(contents, parse(body, chunk).bodies(), "run " + run + ", chunk " + chunk);
    }
  }

  @Test
  void passesLargeBodiesThroughInFewCalls() throws IOException {
    byte[] data = new byte[4 << 20];
    new Random(1).nextBytes(data);
    byte[] body = concat(ascii("--" + BOUNDARY + "\r\nContent-Type: application/dicom\r\n\r\n"), data, ascii("\r\n--" + BOUNDARY + "--\r\n"));
    Recorder r = new Recorder();
    MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, r);
    int chunk = 64 * 1024;
    int chunks = 0;
    for (int pos = 0; pos < body.length; pos += chunk, chunks++) {
      ByteBuffer direct = ByteBuffer.allocateDirect(Math.min(chunk, body.length - pos));
      direct.put(body, pos, direct.capacity()).flip();
      p.feed(direct);
      assertFalse(direct.hasRemaining());
    }
    p.finish();
    assertArrayEquals(data, r.parts.get(0).body.toByteArray());
    assertTrue(r.dataCalls <= 2 * chunks, r.dataCalls + " partData calls for " + chunks + " chunks");
  }

  // --- errors ---

  @Test
  void refusesABodyThatEndsBeforeTheCloseDelimiter() throws IOException {
    String open = "--" + BOUNDARY + "\r\n\r\ndata";
    MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, new Recorder());
    p.feed(ascii(open), 0, open.length());
    assertThrows(MalformedMultipartException.class, p::finish);
    for (String cut : new String[] {"", "--" + BOUNDARY, "--" + BOUNDARY + "\r\n", "--" + BOUNDARY + "\r\n\r\nx\r\n--" + BOUNDARY + "-"}) {
      MultipartRelatedParser q = new MultipartRelatedParser(BOUNDARY, new Recorder());
      q.feed(ascii(cut), 0, cut.length());
      assertThrows(MalformedMultipartException.class, q::finish, cut);
    }
  }

  @Test
  void refusesABodyWithoutItsBoundary() throws IOException {
    MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, new Recorder());
    byte[] other = ascii("--other\r\n\r\nx\r\n--other--\r\n");
    p.feed(other, 0, other.length);
    MalformedMultipartException e = assertThrows(MalformedMultipartException.class, p::finish);
    assertTrue(e.getMessage().contains("no boundary"), e.getMessage());

    MultipartRelatedParser q = new MultipartRelatedParser(BOUNDARY, new Recorder());
    byte[] big = new byte[MultipartRelatedParser.MAX_PREAMBLE_BYTES + 1];
    assertThrows(MalformedMultipartException.class, () -> q.feed(big, 0, big.length));
  }

  @Test
  void refusesAHeaderSectionOver16KiB() throws IOException {
    String head = "--" + BOUNDARY + "\r\nX-Long: " + "a".repeat(MultipartRelatedParser.MAX_HEADER_BYTES) + "\r\n\r\n";
    MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, new Recorder());
    assertThrows(MalformedMultipartException.class, () -> feedInChunks(p, ascii(head), 1000));
    // A section of exactly the limit, empty line included, is fine.
    String exact = "X: " + "b".repeat(MultipartRelatedParser.MAX_HEADER_BYTES - 7) + "\r\n\r\n";
    Recorder r = parse(ascii("--" + BOUNDARY + "\r\n" + exact + "z\r\n--" + BOUNDARY + "--"), 999);
    assertEquals(List.of("z"), r.bodies());
  }

  @Test
  void refusesGarbageOnABoundaryLine() {
    for (String line : new String[] {"x", " x", "\rx", "-x"}) {
      MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, new Recorder());
      byte[] body = ascii("--" + BOUNDARY + line + "\r\n\r\n");
      assertThrows(MalformedMultipartException.class, () -> p.feed(body, 0, body.length), line);
      assertThrows(IllegalStateException.class, () -> p.feed(body, 0, 1));
    }
    String header = "--" + BOUNDARY + "\r\nno colon here\r\n\r\n";
    MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, new Recorder());
    assertThrows(MalformedMultipartException.class, () -> p.feed(ascii(header), 0, header.length()));
  }

  @Test
  void stopsWhenTheListenerFails() {
    PartListener failing = new Recorder() {
      @Override
      public void partData(byte[] b, int off, int len) throws IOException {
        throw new IOException("disk full");
      }
    };
    MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, failing);
    byte[] body = stowBody();
    IOException e = assertThrows(IOException.class, () -> p.feed(body, 0, body.length));
    assertEquals("disk full", e.getMessage());
    assertThrows(IllegalStateException.class, p::finish);
  }

  // --- fixtures ---

  /** Three instances as a STOW-RS client sends them, with a body that ends in CR LF. */
  private static byte[] stowBody() {
    byte[] dicom = new byte[3000];
    new Random(3).nextBytes(dicom);
    String h = "Content-Type: application/dicom\r\n\r\n";
    return concat(
        ascii("--" + BOUNDARY + "\r\n" + h), dicom,
        ascii("\r\n--" + BOUNDARY + "\r\n" + h + "second\r\n"),
        ascii("\r\n--" + BOUNDARY + "\r\nContent-Type: application/dicom\r\nContent-Location: /x\r\n\r\n"), new byte[0],
        ascii("\r\n--" + BOUNDARY + "--\r\n"));
  }

  private static void assertStowParts(Recorder r) {
    assertEquals(3, r.parts.size());
    byte[] dicom = new byte[3000];
    new Random(3).nextBytes(dicom);
    assertArrayEquals(dicom, r.parts.get(0).body.toByteArray());
    assertEquals("second\r\n", r.parts.get(1).body.toString(StandardCharsets.ISO_8859_1));
    assertEquals(0, r.parts.get(2).body.size());
    assertEquals(Map.of("content-type", "application/dicom", "content-location", "/x"), r.parts.get(2).headers);
    assertTrue(r.parts.stream().allMatch(p -> p.ended));
  }

  /** Text rich in CR, LF, dashes and pieces of the boundary, but never the delimiter itself. */
  private static String nearDelimiterText(Random random, byte[] alphabet) {
    String delimiter = "\r\n--" + BOUNDARY;
    while (true) {
      StringBuilder s = new StringBuilder();
      int n = random.nextInt(60);
      for (int i = 0; i < n; i++) {
        if (random.nextInt(8) == 0) s.append(delimiter, 0, random.nextInt(delimiter.length()));
        else s.append((char) (alphabet[random.nextInt(alphabet.length)] & 0xff));
      }
      // RFC 2046: content never holds the delimiter; a body that starts with "--boundary" would
      // be read as an empty part (body-part := MIME-part-headers [CRLF *OCTET]).
      if (!("\r\n" + s).contains(delimiter)) return s.toString();
    }
  }

  private static byte[] multipart(List<String> contents) {
    StringBuilder s = new StringBuilder("preamble --" + BOUNDARY + "--\r\n-");
    for (String c : contents) s.append("\r\n--").append(BOUNDARY).append("\r\nContent-Type: application/dicom\r\n\r\n").append(c);
    s.append("\r\n--").append(BOUNDARY).append("--\r\n\r\n--").append(BOUNDARY).append("\r\n");
    return ascii(s.toString());
  }

  private static Recorder parse(byte[] body, int chunk) throws IOException {
    Recorder r = new Recorder();
    MultipartRelatedParser p = new MultipartRelatedParser(BOUNDARY, r);
    feedInChunks(p, body, chunk);
    assertTrue(p.closed());
    p.finish();
    return r;
  }

  private static void feedInChunks(MultipartRelatedParser p, byte[] body, int chunk) throws IOException {
    for (int pos = 0; pos < body.length; pos += chunk) {
      // A fresh copy each time, so the parser cannot lean on bytes of an earlier chunk.
      byte[] piece = Arrays.copyOfRange(body, pos, Math.min(body.length, pos + chunk));
      p.feed(piece, 0, piece.length);
      Arrays.fill(piece, (byte) '?');
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[]... pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : pieces) out.writeBytes(p);
    return out.toByteArray();
  }

  private static class Recorder implements PartListener {
    final List<Part> parts = new ArrayList<>();
    int dataCalls;

    @Override
    public void partStarted(Map<String, String> headers) {
      assertTrue(parts.isEmpty() || last().ended, "part started before the previous ended");
      parts.add(new Part(headers));
    }

    @Override
    public void partData(byte[] b, int off, int len) throws IOException {
      assertTrue(len > 0 && !last().ended);
      dataCalls++;
      last().body.write(b, off, len);
    }

    @Override
    public void partEnded() {
      assertFalse(last().ended);
      last().ended = true;
    }

    List<String> bodies() {
      return IntStream.range(0, parts.size()).mapToObj(i -> parts.get(i).body.toString(StandardCharsets.ISO_8859_1)).toList();
    }

    private Part last() {
      return parts.get(parts.size() - 1);
    }
  }

  private static final class Part {
    final Map<String, String> headers;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean ended;

    Part(Map<String, String> headers) {
      this.headers = headers;
    }
  }
}
