package imago.app;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Changes a well-formed STOW-RS request (PS3.18 §10.5: multipart/related of application/dicom
 * parts) into one a broken or hostile client could send: its Content-Type (media type, type and
 * boundary parameters), its delimiters and part headers, its framing (truncated, padded, line
 * ends, nested, thousands of empty parts), its bytes. The files in it stay as they are.
 */
final class MultipartMutator {
  /** What was done to a body; named in the test's figures. */
  enum Mutation {
    CONTENT_TYPE, BOUNDARY_PARAMETER, BOUNDARY_MISMATCH, NO_CLOSE_DELIMITER, PART_HEADERS, PART_TYPE, LINE_ENDS, PADDING,
    PREAMBLE_EPILOGUE, NESTED, EMPTY_PARTS, TRUNCATE, BIT_FLIP
  }

  /** A request: its Content-Type header and body. */
  record Request(String contentType, byte[] body) {
    static Request of(String boundary, List<byte[]> parts) {
      return new Request("multipart/related; type=\"application/dicom\"; boundary=" + boundary,
          TestImago.multipart(boundary, parts));
    }
  }

  record Mutated(Request request, List<Mutation> applied) {}

  private static final String[] MEDIA_TYPES = {"multipart/mixed", "application/dicom", "multipart/related",
      "multipart/related; type=\"application/dicom+xml\"", "multipart/related; type=application/dicom; type=text/plain",
      "multipart/related; type=\"application/dicom", "text/plain", "multipart/", "*/*", ";;;", "multipart/related;boundary"};
  private static final String[] BOUNDARIES = {"", "\"\"", "x", "\"quoted boundary\"", "b".repeat(70), "b".repeat(201),
      "b".repeat(5000), "a b", "\"unterminated", "--", "bound;ary", "=?utf-8?"};
  private static final String[] PART_TYPES = {"text/plain", "application/dicom+json", "application/octet-stream", "",
      "application/dicom; transfer-syntax=1.2.3", "multipart/related; boundary=x", "application/DICOM"};

  private MultipartMutator() {}

  static Mutated mutate(String boundary, List<byte[]> parts, Random r) {
    Request rq = Request.of(boundary, parts);
    int count = r.nextInt(10) < 7 ? 1 : 2;
    List<Mutation> applied = new ArrayList<>();
    Mutation[] all = Mutation.values();
    while (applied.size() < count) {
      Mutation m = all[r.nextInt(all.length)];
      rq = apply(m, rq, boundary, parts, r);
      applied.add(m);
    }
    return new Mutated(rq, applied);
  }

  private static Request apply(Mutation m, Request rq, String boundary, List<byte[]> parts, Random r) {
    byte[] body = rq.body();
    return switch (m) {
      case CONTENT_TYPE -> new Request(MEDIA_TYPES[r.nextInt(MEDIA_TYPES.length)]
          + (r.nextBoolean() ? "; boundary=" + boundary : ""), body);
      case BOUNDARY_PARAMETER -> new Request("multipart/related; type=\"application/dicom\"; boundary="
          + BOUNDARIES[r.nextInt(BOUNDARIES.length)], body);
      case BOUNDARY_MISMATCH -> new Request(rq.contentType().replace(boundary, boundary + "x"), body);
      case NO_CLOSE_DELIMITER -> new Request(rq.contentType(), replaceLast(body, "--" + boundary + "--", ""));
      case PART_HEADERS -> new Request(rq.contentType(), replaceFirst(body, "Content-Type: application/dicom\r\n",
          headers(r)));
      case PART_TYPE -> new Request(rq.contentType(), replaceFirst(body, "Content-Type: application/dicom\r\n",
          "Content-Type: " + PART_TYPES[r.nextInt(PART_TYPES.length)] + "\r\n"));
      case LINE_ENDS -> new Request(rq.contentType(), replaceAll(body, "\r\n--" + boundary, "\n--" + boundary));
      case PADDING -> new Request(rq.contentType(), replaceFirst(body, "--" + boundary + "\r\n",
          "--" + boundary + " \t".repeat(r.nextBoolean() ? 3 : 600) + "\r\n"));
      case PREAMBLE_EPILOGUE -> new Request(rq.contentType(), concat(junk(r.nextBoolean() ? 100 : 70_000, r), body,
          junk(r.nextInt(2000), r)));
      case NESTED -> nested(rq, boundary, parts);
      case EMPTY_PARTS -> Request.of(boundary, emptyParts(r));
      case TRUNCATE -> new Request(rq.contentType(), Arrays.copyOf(body, r.nextInt(Math.max(1, body.length))));
      case BIT_FLIP -> {
        byte[] b = body.clone();
        for (int i = 1 + r.nextInt(8); i > 0; i--) b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
        yield new Request(rq.contentType(), b);
      }
    };
  }

  /** Part headers a client should not send: garbage lines, a huge one, thousands, none ending, a lying length. */
  private static String headers(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> "no colon here\r\n";
      case 1 -> "X-Long: " + "h".repeat(70_000) + "\r\n";
      case 2 -> "X-Many: 1\r\n".repeat(3000);
      case 3 -> "Content-Type: application/dicom"; // the blank line never comes: headers run into the file
      case 4 -> "Content-Type: application/dicom\r\nContent-Length: 12\r\n";
      default -> "Content-Type: application/dicom\r\nContent-Transfer-Encoding: base64\r\n";
    };
  }

  /** A part that is itself a multipart body holding the files. */
  private static Request nested(Request rq, String boundary, List<byte[]> parts) {
    String inner = boundary + "-inner";
    byte[] part = ("--" + boundary + "\r\nContent-Type: multipart/related; type=\"application/dicom\"; boundary=" + inner
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] close = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
    return new Request(rq.contentType(), concat(part, TestImago.multipart(inner, parts), close));
  }

  /** Thousands of parts with nothing in them: each one an ingest refused; past 10,000 the request is. */
  private static List<byte[]> emptyParts(Random r) {
    int n = r.nextInt(20) == 0 ? 10_001 : 1 + r.nextInt(2_000);
    List<byte[]> parts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) parts.add(new byte[0]);
    return parts;
  }

  private static byte[] junk(int n, Random r) {
    byte[] j = new byte[n];
    r.nextBytes(j);
    return j;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  private static byte[] replaceFirst(byte[] body, String what, String with) {
    int at = indexOf(body, what.getBytes(StandardCharsets.ISO_8859_1), 0);
    return at < 0 ? body : DicomElements.replace(body, at, at + what.length(), with.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static byte[] replaceLast(byte[] body, String what, String with) {
    byte[] w = what.getBytes(StandardCharsets.ISO_8859_1);
    int at = -1;
    for (int i = indexOf(body, w, 0); i >= 0; i = indexOf(body, w, i + 1)) at = i;
    return at < 0 ? body : DicomElements.replace(body, at, at + w.length, with.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static byte[] replaceAll(byte[] body, String what, String with) {
    byte[] w = what.getBytes(StandardCharsets.ISO_8859_1);
    byte[] v = with.getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
    int from = 0;
    for (int at = indexOf(body, w, 0); at >= 0; at = indexOf(body, w, from)) {
      out.write(body, from, at - from);
      out.writeBytes(v);
      from = at + w.length;
    }
    out.write(body, from, body.length - from);
    return out.toByteArray();
  }

  private static int indexOf(byte[] body, byte[] what, int from) {
    outer:
    for (int i = from; i <= body.length - what.length; i++) {
      for (int j = 0; j < what.length; j++) if (body[i + j] != what[j]) continue outer;
      return i;
    }
    return -1;
  }
}
