package imago.core.dicom.json;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.List;

/**
 * Entry point to the DICOM JSON model (PS3.18 Annex F): {@code DicomJson.dataset()} starts a data
 * set, {@link #arrayBytes} writes the top-level array QIDO-RS responses carry.
 * Media type {@value #MEDIA_TYPE}.
 */
public final class DicomJson {
  public static final String MEDIA_TYPE = "application/dicom+json";

  /** Keeps BigDecimals as given, so DS "1.50" stays 1.50 rather than becoming 1.5. */
  static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  private DicomJson() {}

  public static DicomJsonWriter dataset() {
    return new DicomJsonWriter();
  }

  /** PS3.18 F.2.1.1: an attribute's name is its tag as eight uppercase hex digits, "00081190". */
  public static String key(int tag) {
    char[] hex = new char[8];
    for (int i = 7; i >= 0; i--, tag >>>= 4) hex[i] = HEX[tag & 0xF];
    return new String(hex);
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private static final com.fasterxml.jackson.databind.ObjectMapper WRITER = new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * PS3.18 F.2: a response with several data sets is a JSON array of them, here as UTF-8 bytes
   * written straight from the data sets: no copy of their trees, no intermediate string (a page of
   * 100 studies spent a third of its CPU in such copies and a toString).
   */
  public static byte[] arrayBytes(List<DicomJsonWriter> datasets) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(512 * Math.max(1, datasets.size()));
    try (com.fasterxml.jackson.core.JsonGenerator g = WRITER.getFactory().createGenerator(out)) {
      g.writeStartArray();
      for (DicomJsonWriter d : datasets) d.writeTo(g);
      g.writeEndArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("writing JSON to memory", e);
    }
    return out.toByteArray();
  }
}
