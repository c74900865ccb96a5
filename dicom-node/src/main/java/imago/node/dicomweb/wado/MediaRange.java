package imago.node.dicomweb.wado;

import imago.core.multipart.MultipartRelatedParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One media range of an HTTP {@code Accept} header (RFC 9110 §12.5.1) with its parameters, as
 * DICOMweb uses them: {@code multipart/related; type="application/dicom"; transfer-syntax=*}.
 * Ranges with {@code q=0} are dropped; the rest keep the client's order, best quality first.
 */
record MediaRange(String type, Map<String, String> parameters, double quality) {

  /** The ranges of {@code accept}; an absent or empty header is {@code *}{@code /*} (RFC 9110 §12.5.1). */
  static List<MediaRange> parse(String accept) {
    List<MediaRange> out = new ArrayList<>();
    if (accept == null || accept.isBlank()) {
      out.add(new MediaRange("*/*", Map.of(), 1));
      return out;
    }
    for (String range : splitOutsideQuotes(accept)) {
      if (range.isBlank()) continue;
      String type = MultipartRelatedParser.mediaType(range);
      Map<String, String> params = MultipartRelatedParser.parameters(range);
      double q = 1;
      try {
        if (params.containsKey("q")) q = Double.parseDouble(params.get("q"));
      } catch (NumberFormatException e) {
        q = 0;
      }
      if (q > 0 && !type.isEmpty()) out.add(new MediaRange(type, params, q));
    }
    // stable: equal qualities keep the client's order
    out.sort((a, b) -> Double.compare(b.quality, a.quality));
    return out;
  }

  private static List<String> splitOutsideQuotes(String s) {
    List<String> parts = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) {
        parts.add(s.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(s.substring(start));
    return parts;
  }

  /** Whether this range covers {@code mediaType} ({@code type/subtype}, lowercase). */
  boolean covers(String mediaType) {
    if (type.equals("*/*") || type.equals(mediaType)) return true;
    return type.endsWith("/*") && mediaType.startsWith(type.substring(0, type.length() - 1));
  }

  boolean isWildcard() {
    return type.equals("*/*");
  }

  /** A parameter, lowercased where DICOMweb compares it case-insensitively (type), or null. */
  String parameter(String name) {
    String v = parameters.get(name);
    return v == null ? null : v.trim();
  }

  /** The {@code type} parameter of a multipart range, lowercased, or null. */
  String partType() {
    String v = parameter("type");
    return v == null ? null : v.toLowerCase(Locale.ROOT);
  }

  /** {@code transfer-syntax}: null when absent, "*" for any. */
  String transferSyntax() {
    return parameter("transfer-syntax");
  }
}
