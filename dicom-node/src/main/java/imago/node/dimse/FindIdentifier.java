package imago.node.dimse;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import imago.core.dicom.Datasets;
import imago.core.dicom.MalformedDicomException;
import imago.storage.index.query.QueryAttribute;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A C-FIND identifier (PS3.4 C.4.1.1.3): the Query/Retrieve Level, matching keys (attributes with
 * a value) and return keys (all attributes asked for); and each match written back as a
 * response identifier carrying exactly the keys asked for, plus the level's unique keys.
 */
final class FindIdentifier {
  private static final int SPECIFIC_CHARACTER_SET = 0x00080005;
  private static final int QUERY_RETRIEVE_LEVEL = 0x00080052;
  private static final int RETRIEVE_AE_TITLE = 0x00080054;
  /** Responses are always UTF-8, whatever the request used (PS3.5 §6.1.2.5: ISO_IR 192). */
  private static final SpecificCharacterSet UTF8 = new SpecificCharacterSet(new String[] {Datasets.ISO_IR_192});

  final QueryLevel level;
  final String levelName;
  /** Every key asked for, by tag, with the VR the request gave it. */
  final Map<Integer, byte[]> returnKeys;
  final Map<Integer, String> matchingKeys;
  /** Keys with a value that the index cannot match on: answered with pending status 0xFF01. */
  final List<Integer> unsupportedKeys;

  private FindIdentifier(QueryLevel level, String levelName, Map<Integer, byte[]> returnKeys,
      Map<Integer, String> matchingKeys, List<Integer> unsupportedKeys) {
    this.level = level;
    this.levelName = levelName;
    this.returnKeys = returnKeys;
    this.matchingKeys = matchingKeys;
    this.unsupportedKeys = unsupportedKeys;
  }

  /**
   * Reads an identifier. A key with a value the index cannot match (an optional key, or one
   * below the query level) is kept as a return key only: PS3.4 C.2.2.1 lets the SCP treat such
   * keys as return keys, and pending status 0xFF01 tells the SCU so.
   */
  static FindIdentifier read(byte[] bytes, String transferSyntax) throws MalformedDicomException {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(bytes), transferSyntax, false)) {
      list.read(in);
    } catch (IOException | DicomException | RuntimeException e) {
      throw new MalformedDicomException("cannot read the identifier: " + e.getMessage());
    }
    String levelName = Attribute.getSingleStringValueOrEmptyString(list, tag(QUERY_RETRIEVE_LEVEL)).trim()
        .toUpperCase(Locale.ROOT);
    QueryLevel level = switch (levelName) {
      case "PATIENT" -> QueryLevel.PATIENT;
      case "STUDY" -> QueryLevel.STUDY;
      case "SERIES" -> QueryLevel.SERIES;
      case "IMAGE" -> QueryLevel.INSTANCE;
      default -> throw new MalformedDicomException("Query/Retrieve Level (0008,0052) is '" + levelName
          + "', not PATIENT, STUDY, SERIES or IMAGE");
    };
    Map<Integer, byte[]> returnKeys = new LinkedHashMap<>();
    Map<Integer, String> matching = new LinkedHashMap<>();
    List<Integer> unsupported = new ArrayList<>();
    for (Object o : list.values()) {
      Attribute a = (Attribute) o;
      int tag = (a.getTag().getGroup() << 16) | a.getTag().getElement();
      if (a.getTag().getGroup() <= 0x0002 || tag == SPECIFIC_CHARACTER_SET || tag == QUERY_RETRIEVE_LEVEL) continue;
      returnKeys.put(tag, a.getVR());
      String value = a instanceof SequenceAttribute ? "" : values(a);
      if (value.isEmpty() || value.equals("*")) continue;
      QueryAttribute known = QueryAttributes.byTag(tag).orElse(null);
      if (known != null && known.matchable() && level.includes(known.level())) matching.put(tag, value);
      else unsupported.add(tag);
    }
    return new FindIdentifier(level, levelName, returnKeys, matching, unsupported);
  }

  private static String values(Attribute a) {
    String[] values = Attribute.getStringValues(a);
    return values == null ? "" : String.join("\\", values).trim();
  }

  QueryRequest request(int pageSize, int offset) {
    return new QueryRequest(level, null, null, matchingKeys, false, pageSize, offset);
  }

  /** One match as a response identifier in {@code transferSyntax}. */
  byte[] response(QueryMatch match, String retrieveAeTitle, String transferSyntax) throws DicomException, IOException {
    AttributeList out = new AttributeList();
    put(out, SPECIFIC_CHARACTER_SET, "CS", Datasets.ISO_IR_192);
    put(out, QUERY_RETRIEVE_LEVEL, "CS", levelName);
    put(out, RETRIEVE_AE_TITLE, "AE", retrieveAeTitle);
    for (int unique : uniqueKeys(level)) put(out, unique, QueryAttributes.byTag(unique).orElseThrow().vr(), match.get(unique));
    for (Map.Entry<Integer, byte[]> key : returnKeys.entrySet()) {
      int tag = key.getKey();
      QueryAttribute known = QueryAttributes.byTag(tag).orElse(null);
      String value = known == null ? null : match.get(tag);
      if (value != null) {
        put(out, tag, known.vr(), value);
      } else if (!out.containsKey(tag(tag))) {
        out.put(AttributeFactory.newAttribute(tag(tag), key.getValue(), UTF8)); // asked for, not kept: zero length
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
    out.write(new DicomOutputStream(bytes, null, transferSyntax));
    return bytes.toByteArray();
  }

  /** PS3.4 C.6.1.1 / C.6.2.1: the unique keys of the level and of the levels above it. */
  private static List<Integer> uniqueKeys(QueryLevel level) {
    List<Integer> keys = new ArrayList<>();
    if (level == QueryLevel.PATIENT) keys.add(QueryAttributes.PATIENT_ID);
    if (level.includes(QueryLevel.STUDY) && level != QueryLevel.PATIENT) keys.add(QueryAttributes.STUDY_INSTANCE_UID);
    if (level.includes(QueryLevel.SERIES)) keys.add(QueryAttributes.SERIES_INSTANCE_UID);
    if (level.includes(QueryLevel.INSTANCE)) keys.add(QueryAttributes.SOP_INSTANCE_UID);
    return keys;
  }

  private static void put(AttributeList list, int tag, String vr, String value) throws DicomException {
    Attribute a = AttributeFactory.newAttribute(tag(tag), vr.getBytes(StandardCharsets.US_ASCII), UTF8);
    if (value != null && !value.isEmpty()) {
      for (String v : value.split("\\\\")) a.addValue(v);
    }
    list.put(a);
  }

  private static AttributeTag tag(int tag) {
    return new AttributeTag(tag >>> 16, tag & 0xFFFF);
  }
}
