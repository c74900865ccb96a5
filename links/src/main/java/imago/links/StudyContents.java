package imago.links;

import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * A linked study as the index holds it: every instance (images and AI results alike) with the
 * DICOM JSON kept at ingest, in series then instance order. What the KOS, the download and the
 * FHIR resources are built from; no object is read to list them.
 */
record StudyContents(List<Entry> entries) {

  /** One instance and its DICOM JSON (PS3.18 F.2, without Pixel Data). */
  record Entry(StoredInstance stored, JsonObject json) {
    /** The first value of an attribute (8 hex digits) as text: a person name's Alphabetic group; null if absent. */
    String value(String tag) {
      JsonObject a = json.getJsonObject(tag);
      JsonArray values = a == null ? null : a.getJsonArray("Value");
      if (values == null || values.isEmpty()) return null;
      Object v = values.getValue(0);
      return v instanceof JsonObject pn ? pn.getString("Alphabetic") : String.valueOf(v);
    }

    int intValue(String tag, int fallback) {
      String v = value(tag);
      try {
        return v == null ? fallback : (int) Double.parseDouble(v);
      } catch (NumberFormatException e) {
        return fallback;
      }
    }
  }

  static StudyContents of(Index index, String tenantId, String studyUid) throws SqlUnavailableException {
    Scope scope = Scope.tenant(tenantId);
    List<StoredInstance> instances = index.instances(scope, studyUid, null, null);
    List<byte[]> metadata = index.metadata(scope, studyUid, null, null);
    List<Entry> entries = new ArrayList<>(instances.size());
    for (int i = 0; i < instances.size(); i++) {
      entries.add(new Entry(instances.get(i), i < metadata.size() ? json(metadata.get(i)) : new JsonObject()));
    }
    return new StudyContents(List.copyOf(entries));
  }

  private static JsonObject json(byte[] gz) {
    if (gz == null) return new JsonObject();
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("instance metadata is not gzip JSON", e);
    }
  }

  /** When the newest instance arrived: a KOS made from these contents is dated by it. */
  Instant newest() {
    return Instant.ofEpochMilli(entries.stream().mapToLong(e -> e.stored().storedAt().toEpochMilli()).max().orElse(0));
  }
}
