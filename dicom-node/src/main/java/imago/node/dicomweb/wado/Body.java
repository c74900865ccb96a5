package imago.node.dicomweb.wado;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A response body made of literal bytes and byte ranges of stored objects, whose length is known
 * before the first byte leaves: so it carries Content-Length, and a Range request (RFC 9110 §14)
 * is answered by slicing it. Nothing of the stored objects is read until {@link BodySender} sends it.
 */
record Body(List<Segment> segments, long length) {

  sealed interface Segment permits Literal, Stored {
    long length();

    /** The part [from, to) of this segment, 0 <= from < to <= length. */
    Segment slice(long from, long to);
  }

  record Literal(byte[] bytes, int offset, int size) implements Segment {
    static Literal of(String ascii) {
      byte[] b = ascii.getBytes(StandardCharsets.US_ASCII);
      return new Literal(b, 0, b.length);
    }

    static Literal of(byte[] bytes) {
      return new Literal(bytes, 0, bytes.length);
    }

    @Override
    public long length() {
      return size;
    }

    @Override
    public Segment slice(long from, long to) {
      return new Literal(bytes, offset + (int) from, (int) (to - from));
    }
  }

  /** {@code length} bytes of the object {@code key} from {@code offset}. */
  record Stored(String key, long offset, long length) implements Segment {
    @Override
    public Segment slice(long from, long to) {
      return new Stored(key, offset + from, to - from);
    }
  }

  static Body of(List<Segment> segments) {
    long n = 0;
    for (Segment s : segments) n += s.length();
    return new Body(List.copyOf(segments), n);
  }

  /** The bytes [from, to) of this body. */
  Body slice(long from, long to) {
    List<Segment> out = new ArrayList<>();
    long at = 0;
    for (Segment s : segments) {
      long start = Math.max(from, at);
      long end = Math.min(to, at + s.length());
      if (start < end) out.add(s.slice(start - at, end - at));
      at += s.length();
    }
    return of(out);
  }

  /** A {@code multipart/related} body (RFC 2387) under construction: parts, then {@link #finish}. */
  static final class Multipart {
    private final String boundary;

    Multipart() {
      this(UUID.randomUUID().toString());
    }

    /** With a given boundary: one derived from the response's ETag makes the same request give the same bytes. */
    Multipart(String boundary) {
      this.boundary = boundary;
    }
    private final List<Segment> segments = new ArrayList<>();

    String boundary() {
      return boundary;
    }

    /** A part with its headers ({@code Name: value} lines) and its content. */
    Multipart part(List<String> headers, List<Segment> content) {
      long length = 0;
      for (Segment s : content) length += s.length();
      StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n");
      for (String h : headers) head.append(h).append("\r\n");
      head.append("Content-Length: ").append(length).append("\r\n\r\n");
      segments.add(Literal.of(head.toString()));
      segments.addAll(content);
      segments.add(Literal.of("\r\n"));
      return this;
    }

    Body finish() {
      segments.add(Literal.of("--" + boundary + "--\r\n"));
      return of(segments);
    }

    /** {@code multipart/related; type="..."; boundary=...} for the response's Content-Type. */
    String contentType(String partType) {
      return "multipart/related; type=\"" + partType + "\"; boundary=" + boundary;
    }
  }
}
