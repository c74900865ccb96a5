package imago.node.dicomweb.wado;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import imago.core.dicom.json.AttributeListJson;
import imago.storage.index.StoredInstance;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A WADO-RS metadata response (PS3.18 §10.4.1.1.2, Annex F): the DICOM JSON kept at ingest for each
 * instance, concatenated into one array, with a BulkDataURI for Pixel Data spliced into each
 * (ingest leaves Pixel Data out). Each instance's JSON is scanned, not rebuilt: only its top-level
 * keys are read, to find where (7FE0,0010) belongs in tag order.
 */
final class MetadataJson {
  private static final JsonFactory JSON = new JsonFactory();
  private static final String PIXEL_DATA = "7FE00010";

  private MetadataJson() {}

  /**
   * @param blobs gzip JSON per instance, as the index returns them
   * @param instances the same instances by SOP Instance UID (for transfer syntax and URIs)
   * @param retrieveBase the DICOMweb root of this request, e.g. {@code http://host/dicomweb}
   */
  static Buffer array(Iterable<byte[]> blobs, Map<String, StoredInstance> instances, String retrieveBase)
      throws IOException {
    Buffer out = Buffer.buffer(64 * 1024).appendByte((byte) '[');
    boolean first = true;
    for (byte[] blob : blobs) {
      byte[] json = gunzip(blob);
      if (!first) out.appendByte((byte) ',');
      first = false;
      out.appendBytes(withPixelData(json, instances, retrieveBase));
    }
    return out.appendByte((byte) ']');
  }

  private static byte[] withPixelData(byte[] json, Map<String, StoredInstance> instances, String base) throws IOException {
    String sop = null;
    boolean image = false;
    int bitsAllocated = 16;
    long insertAt = -1;
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("stored metadata is not a JSON object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        if (insertAt < 0 && key.compareTo(PIXEL_DATA) > 0) insertAt = p.currentTokenLocation().getByteOffset();
        p.nextToken();
        switch (key) {
          case "00080018" -> sop = firstValue(p);
          case "00280010" -> {
            image = true;
            p.skipChildren();
          }
          case "00280100" -> {
            String v = firstValue(p);
            if (v != null) bitsAllocated = (int) Double.parseDouble(v);
          }
          default -> p.skipChildren();
        }
      }
    }
    StoredInstance instance = sop == null ? null : instances.get(sop);
    if (instance == null) return json;
    String instanceUrl = base + "/studies/" + instance.studyUid() + "/series/" + instance.seriesUid() + "/instances/"
        + instance.sopInstanceUid();
    json = withBulkDataUrls(json, instanceUrl);
    if (!image) return json;
    String vr = TransferSyntaxes.isEncapsulated(instance.transferSyntaxUid()) || bitsAllocated <= 8 ? "OB" : "OW";
    String uri = instanceUrl + "/bulkdata/" + PIXEL_DATA;
    String member = "\"" + PIXEL_DATA + "\":{\"vr\":\"" + vr + "\",\"BulkDataURI\":\"" + uri + "\"}";
    ByteArrayOutputStream b = new ByteArrayOutputStream(json.length + member.length() + 2);
    if (insertAt >= 0) {
      b.write(json, 0, (int) insertAt);
      b.write((member + ",").getBytes(StandardCharsets.US_ASCII));
      b.write(json, (int) insertAt, json.length - (int) insertAt);
    } else {
      int close = json.length - 1;
      while (close > 0 && json[close] != '}') close--;
      int before = close - 1;
      while (before > 0 && Character.isWhitespace(json[before])) before--;
      b.write(json, 0, close);
      if (json[before] != '{') b.write(',');
      b.write(member.getBytes(StandardCharsets.US_ASCII));
      b.write(json, close, json.length - close);
    }
    return b.toByteArray();
  }

  /**
   * Large binary values were kept at ingest as a BulkDataURI marker; here they become this
   * instance's URLs. The marker's quotes cannot occur inside a JSON string value (they would be
   * escaped), so only what ingest wrote is replaced.
   */
  private static byte[] withBulkDataUrls(byte[] json, String instanceUrl) {
    String marker = "\"BulkDataURI\":\"" + AttributeListJson.BULK_DATA_MARKER;
    String text = new String(json, StandardCharsets.UTF_8);
    if (!text.contains(marker)) return json;
    return text.replace(marker, "\"BulkDataURI\":\"" + instanceUrl + "/bulkdata/").getBytes(StandardCharsets.UTF_8);
  }

  /** The first entry of an attribute's "Value" array as text (the parser is at the attribute's START_OBJECT). */
  private static String firstValue(JsonParser p) throws IOException {
    String found = null;
    if (p.currentToken() != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      if ("Value".equals(name) && t == JsonToken.START_ARRAY) {
        JsonToken v = p.nextToken();
        if (v != JsonToken.END_ARRAY) {
          if (v.isScalarValue()) found = p.getValueAsString();
          else p.skipChildren();
          while (p.nextToken() != JsonToken.END_ARRAY) p.skipChildren();
        }
      } else {
        p.skipChildren();
      }
    }
    return found;
  }

  static byte[] gunzip(byte[] gz) throws IOException {
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }
}
