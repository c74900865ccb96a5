package imago.core.dicom.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds one data set in the DICOM JSON model (PS3.18 Annex F): each attribute becomes
 * {@code "GGGGEEEE": {"vr": "XX", "Value": [...]}}, an attribute without values has no "Value",
 * and attributes come out in tag order whatever order they were set in. Setting a tag again
 * replaces it. Start one with {@link DicomJson#dataset()}.
 */
public final class DicomJsonWriter {
  private static final JsonNodeFactory NODES = DicomJson.NODES;
  /** PS3.18 F.2.3: these VRs carry JSON strings. */
  private static final Set<String> STRING_VRS =
      Set.of("AE", "AS", "AT", "CS", "DA", "DT", "LO", "LT", "SH", "ST", "TM", "UC", "UI", "UR", "UT");
  /** PS3.18 F.2.3: these VRs carry JSON numbers. */
  private static final Set<String> NUMBER_VRS = Set.of("DS", "FD", "FL", "IS", "SL", "SS", "SV", "UL", "US", "UV");
  /** PS3.18 F.2.7: these VRs carry BulkDataURI or InlineBinary, never "Value". */
  private static final Set<String> BINARY_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "UN");

  /** Keyed by tag as unsigned, so private groups above 0x7FFF still sort after the rest. */
  private final Map<Integer, ObjectNode> attributes = new TreeMap<>(Integer::compareUnsigned);

  DicomJsonWriter() {}

  /**
   * Text values as they appear in a data set. For IS and DS each value becomes a JSON number, or
   * stays a string where it is not a number (CP-1861 permits both); for PN it becomes a name
   * object split at '=' into Alphabetic, Ideographic, Phonetic. Null or empty values are JSON
   * null (PS3.18 F.2.5); with no non-empty value the attribute is written empty.
   */
  public DicomJsonWriter string(int tag, String vr, String... values) {
    if (!STRING_VRS.contains(vr) && !NUMBER_VRS.contains(vr) && !"PN".equals(vr)) {
      throw new IllegalArgumentException("VR " + vr + " does not take text values");
    }
    ArrayNode array = NODES.arrayNode(values.length);
    boolean any = false;
    for (String v : values) {
      JsonNode node = v == null || v.isEmpty() ? NODES.nullNode() : textValue(vr, v);
      any |= !node.isNull();
      array.add(node);
    }
    return put(tag, vr, any ? array : null);
  }

  /** Unique identifiers (VR UI). */
  public DicomJsonWriter uids(int tag, String... uids) {
    return string(tag, "UI", uids);
  }

  /** A URL (VR UR), such as RetrieveURL (0008,1190). */
  public DicomJsonWriter url(int tag, String url) {
    return string(tag, "UR", url);
  }

  /** A person name (VR PN) with only its alphabetic group, written as given. */
  public DicomJsonWriter personName(int tag, String alphabetic) {
    if (alphabetic == null || alphabetic.isEmpty()) return empty(tag, "PN");
    return put(tag, "PN", NODES.arrayNode().add(NODES.objectNode().put("Alphabetic", alphabetic)));
  }

  /** Unsigned shorts (VR US), such as FailureReason (0008,1197). */
  public DicomJsonWriter us(int tag, int... values) {
    long[] longs = new long[values.length];
    for (int i = 0; i < values.length; i++) longs[i] = values[i];
    return integers(tag, "US", longs);
  }

  /** Whole numbers for any number VR (IS, SL, SS, SV, UL, US, UV, also DS, FL, FD). */
  public DicomJsonWriter integers(int tag, String vr, long... values) {
    requireNumberVr(vr);
    ArrayNode array = NODES.arrayNode(values.length);
    for (long v : values) array.add(integer(v));
    return put(tag, vr, values.length == 0 ? null : array);
  }

  /** Decimal numbers (DS, FL, FD). JSON has no NaN or infinity, so those are refused. */
  public DicomJsonWriter decimals(int tag, String vr, double... values) {
    requireNumberVr(vr);
    ArrayNode array = NODES.arrayNode(values.length);
    for (double v : values) {
      if (!Double.isFinite(v)) throw new IllegalArgumentException("JSON cannot carry " + v);
      array.add(v);
    }
    return put(tag, vr, values.length == 0 ? null : array);
  }

  /** A sequence (VR SQ) of items; with no items the attribute is written empty. */
  public DicomJsonWriter sequence(int tag, List<DicomJsonWriter> items) {
    ArrayNode array = NODES.arrayNode(items.size());
    for (DicomJsonWriter item : items) array.add(item.toJson());
    return put(tag, "SQ", items.isEmpty() ? null : array);
  }

  /** An attribute present with no value (PS3.18 F.2.5: no "Value" member). */
  public DicomJsonWriter empty(int tag, String vr) {
    requireVr(vr);
    return put(tag, vr, null);
  }

  /** PS3.18 F.2.6: binary values left out of the response, to be retrieved from {@code uri}. */
  public DicomJsonWriter bulkDataUri(int tag, String vr, String uri) {
    return binary(tag, vr, "BulkDataURI", NODES.textNode(uri));
  }

  /** PS3.18 F.2.7: binary values inline, base64-encoded. */
  public DicomJsonWriter inlineBinary(int tag, String vr, byte[] bytes) {
    return binary(tag, vr, "InlineBinary", NODES.textNode(Base64.getEncoder().encodeToString(bytes)));
  }

  /** A fresh object node holding the attributes set so far, in tag order. */
  public ObjectNode toJson() {
    ObjectNode dataset = NODES.objectNode();
    attributes.forEach((tag, attribute) -> dataset.set(DicomJson.key(tag), attribute.deepCopy()));
    return dataset;
  }

  @Override
  public String toString() {
    return toJson().toString();
  }

  /**
   * Writes the data set as one JSON object to {@code out}, in tag order, without the copy
   * {@link #toJson()} makes (the generator needs a codec, as an ObjectMapper's has).
   */
  public void writeTo(JsonGenerator out) throws IOException {
    out.writeStartObject();
    for (Map.Entry<Integer, ObjectNode> e : attributes.entrySet()) {
      out.writeFieldName(DicomJson.key(e.getKey()));
      out.writeTree(e.getValue());
    }
    out.writeEndObject();
  }

  private DicomJsonWriter binary(int tag, String vr, String member, JsonNode value) {
    if (!BINARY_VRS.contains(vr) && !NUMBER_VRS.contains(vr)) {
      throw new IllegalArgumentException("VR " + vr + " has no binary form");
    }
    ObjectNode attribute = NODES.objectNode().put("vr", vr);
    attribute.set(member, value);
    attributes.put(tag, attribute);
    return this;
  }

  private DicomJsonWriter put(int tag, String vr, ArrayNode values) {
    ObjectNode attribute = NODES.objectNode().put("vr", vr);
    if (values != null) attribute.set("Value", values);
    attributes.put(tag, attribute);
    return this;
  }

  private static JsonNode textValue(String vr, String v) {
    if ("PN".equals(vr)) return personNameGroups(v);
    if (NUMBER_VRS.contains(vr)) return number(v.trim());
    return NODES.textNode(v);
  }

  /** PS3.5 §6.2.1: a PN value is up to three '='-separated groups. */
  private static JsonNode personNameGroups(String v) {
    String[] groups = v.split("=", -1);
    String[] names = {"Alphabetic", "Ideographic", "Phonetic"};
    ObjectNode name = NODES.objectNode();
    for (int i = 0; i < Math.min(groups.length, names.length); i++) {
      if (!groups[i].isEmpty()) name.put(names[i], groups[i]);
    }
    return name.isEmpty() ? NODES.nullNode() : name;
  }

  /** Integers stay integers; decimals keep their digits; anything else stays text (CP-1861). */
  private static JsonNode number(String v) {
    try {
      BigDecimal d = new BigDecimal(v);
      if (d.scale() <= 0 && v.indexOf('.') < 0 && v.indexOf('e') < 0 && v.indexOf('E') < 0) {
        BigInteger i = d.toBigIntegerExact();
        return i.bitLength() < 64 ? integer(i.longValue()) : NODES.numberNode(i);
      }
      return NODES.numberNode(d);
    } catch (NumberFormatException | ArithmeticException e) {
      return NODES.textNode(v);
    }
  }

  /** An int node where the value fits, as Jackson itself reads such JSON, so trees compare equal. */
  private static JsonNode integer(long v) {
    return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
  }

  private static void requireNumberVr(String vr) {
    if (!NUMBER_VRS.contains(vr)) throw new IllegalArgumentException("VR " + vr + " does not take numbers");
  }

  private static void requireVr(String vr) {
    if (!STRING_VRS.contains(vr) && !NUMBER_VRS.contains(vr) && !BINARY_VRS.contains(vr) && !"PN".equals(vr) && !"SQ".equals(vr)) {
      throw new IllegalArgumentException("unknown VR " + vr);
    }
  }
}
