package imago.app;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one REST route ({@code POST /fse/links}, {@code GET /inference/jobs/{id}}) into a request a
 * careless or hostile client could send: bad ids and UIDs in its path (or, now and then, real
 * ones, so that the handler behind the checks runs), bad query parameters (its own and others'),
 * and a body that is malformed JSON, nested 50,000 deep, huge, of the wrong types, not an
 * object, bad values in the right fields, or bytes. Chosen by the caller's {@link Random} alone.
 */
final class RestMutator {
  /** What a request's body is. */
  enum Body { NONE, MALFORMED, DEEP, HUGE_STRING, HUGE_NUMBER, WRONG_TYPES, NOT_AN_OBJECT, BAD_VALUES, BINARY, FORM }

  /** Ids and UIDs that name something real, used for one path parameter in three. */
  record Known(String study, String series, String instance, String linkToken, long linkId) {}

  /** A request, ready to send. */
  record Request(String method, String pathAndQuery, String contentType, String accept, byte[] body, Body kind) {}

  private static final Pattern PARAMETER = Pattern.compile("\\{(\\w+)}");
  /** Path segments, already percent-encoded where they need it. */
  private static final String[] BAD_SEGMENTS = {"0", "-1", "9223372036854775808", "99999999999999999999999", "1e5", "0x10",
      "abc", "null", "%00", "%2e%2e", "..", "%2F", "%FF", "%C3%A9", "%20", "'%20OR%201=1--", "*", "%25", "1.2.3",
      "1." + "2".repeat(70), "a".repeat(3000), "%7Bid%7D", "1,2,3", "1-", "0.0", "%0d%0aX:%20y"};
  private static final String[] BAD_VALUES = {"", "-1", "0", "99999999999999999999", "1e309", "NaN", "abc", "%25", "*",
      "%00", "a".repeat(3000), "1,2,3,,", "%FF", "true", "%5B%5D", "%7B%7D", "1.2.3", "19000101-99991231", "%5E%5E%5E",
      "%5C", "-9223372036854775808", "2147483648", "0.5", "1,,%20,", "00100010,,X"};
  private static final String[] QUERY_NAMES = {"limit", "offset", "includefield", "fuzzymatching", "studyUID", "seriesUID",
      "objectUID", "requestType", "contentType", "frameNumber", "rows", "columns", "region", "windowCenter",
      "windowWidth", "viewport", "quality", "window", "PatientName", "PatientID", "StudyDate", "ModalitiesInStudy",
      "00100010", "access_token", "state", "name", "q", "framework", "task", "modality", "patientID", "accept",
      "charset", "transferSyntax", "annotation", "iconsize"};
  /** Every field a JSON body of Imago's is read for (openapi.json, the admin router). */
  private static final String[] FIELDS = {"studyUID", "grantee", "issuer", "expiresAt", "ttl", "accessionNumber",
      "patientID", "rights", "model", "version", "cohort", "mode", "reason", "name", "tenant", "manifest"};
  private static final String[] WRONG_TYPES = {"[]", "{}", "123", "-1", "1.5e308", "true", "null", "[1,\"a\"]",
      "{\"a\":{}}", "0", "\"\"", "[[]]"};
  private static final String[] BAD_STRINGS = {"", " ", "P99999999999D", "-P1D", "PT0S", "P1000Y", "9999-12-31T23:59:59Z",
      "+999999999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "not a date", "../../etc/passwd", "1." + "2".repeat(70),
      "view", "download", "admin", "primary", "shadow", "x".repeat(300), "\\u0000", "<script>", "1.2.3", "PT-1S"};
  private static final String[] MALFORMED = {"{", "{\"a\":", "[1,2", "{'a':1}", "nul", "\\u0000", "{\"a\":1}}",
      "\"unterminated", "{\"a\" 1}", "{,}", "[,]", "{\"studyUID\":\"1.2\",}", "\ufeff{}", "{\"a\":01}", "{\"a\":.5}"};
  private static final String[] NOT_OBJECTS = {"[]", "\"s\"", "1", "null", "true", "[{\"studyUID\":\"1.2\"}]", "\"\"", "-0"};
  private static final String[] CONTENT_TYPES = {"text/plain", "", "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/dicom", "application/json;;"};
  private static final String[] ACCEPTS = {"application/json", "*/*", "image/png", "application/dicom+xml", "garbage/;;;",
      "text/html;q=abc", "application/dicom; transfer-syntax=*", "multipart/related; type=\"application/octet-stream\""};

  private RestMutator() {}

  static Request request(String method, String template, Known known, Random r) {
    String path = path(template, known, r);
    String query = query(template, r);
    Body kind = !method.equals("GET") || r.nextInt(10) == 0 ? Body.values()[r.nextInt(Body.values().length)] : Body.NONE;
    String contentType = kind == Body.FORM ? "multipart/form-data; boundary=fuzz"
        : r.nextInt(5) == 0 ? CONTENT_TYPES[r.nextInt(CONTENT_TYPES.length)] : "application/json";
    String accept = r.nextInt(5) == 0 ? ACCEPTS[r.nextInt(ACCEPTS.length)] : null;
    return new Request(method, path + query, kind == Body.NONE ? null : contentType, accept, body(kind, r), kind);
  }

  private static String path(String template, Known known, Random r) {
    Matcher m = PARAMETER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String real = r.nextInt(3) == 0 ? real(m.group(1), known) : null;
      m.appendReplacement(out, Matcher.quoteReplacement(real != null ? real : BAD_SEGMENTS[r.nextInt(BAD_SEGMENTS.length)]));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String real(String parameter, Known known) {
    return switch (parameter) {
      case "study" -> known.study();
      case "series" -> known.series();
      case "instance" -> known.instance();
      case "token" -> known.linkToken();
      case "id" -> Long.toString(known.linkId());
      case "frames" -> "1";
      case "tag" -> "7FE00010";
      default -> null;
    };
  }

  private static String query(String template, Random r) {
    int n = r.nextInt(4);
    List<String> pairs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = QUERY_NAMES[r.nextInt(QUERY_NAMES.length)];
      String value = BAD_VALUES[r.nextInt(BAD_VALUES.length)];
      pairs.add(name + "=" + value);
      if (r.nextInt(5) == 0) pairs.add(name + "=" + BAD_VALUES[r.nextInt(BAD_VALUES.length)]); // the same name twice
    }
    return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
  }

  private static byte[] body(Body kind, Random r) {
    String text = switch (kind) {
      case NONE -> null;
      case MALFORMED -> MALFORMED[r.nextInt(MALFORMED.length)];
      case DEEP -> r.nextBoolean() ? "[".repeat(50_000) : "{\"a\":".repeat(50_000);
      case HUGE_STRING -> "{\"" + field(r) + "\":\"" + "x".repeat(r.nextBoolean() ? 20_000 : 1 << 20) + "\"}";
      case HUGE_NUMBER -> "{\"" + field(r) + "\":" + (r.nextBoolean() ? "1" + "0".repeat(100_000) : "-1e999999999") + "}";
      case WRONG_TYPES -> object(r, () -> WRONG_TYPES[r.nextInt(WRONG_TYPES.length)]);
      case NOT_AN_OBJECT -> NOT_OBJECTS[r.nextInt(NOT_OBJECTS.length)];
      case BAD_VALUES -> object(r, () -> r.nextInt(6) == 0 ? "[\"" + BAD_STRINGS[r.nextInt(BAD_STRINGS.length)] + "\"]"
          : "\"" + BAD_STRINGS[r.nextInt(BAD_STRINGS.length)] + "\"");
      case BINARY -> null;
      case FORM -> form(object(r, () -> WRONG_TYPES[r.nextInt(WRONG_TYPES.length)]), r);
    };
    if (kind == Body.BINARY) {
      byte[] b = new byte[1 + r.nextInt(2000)];
      r.nextBytes(b);
      return b;
    }
    return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A JSON object of the known fields, each with a value from {@code values}: one to five of them
   * (repeats possible), or each field with even odds, so that a route reads a bad one first.
   */
  private static String object(Random r, java.util.function.Supplier<String> values) {
    List<String> members = new ArrayList<>();
    if (r.nextBoolean()) {
      for (String f : FIELDS) if (r.nextBoolean()) members.add("\"" + f + "\":" + values.get());
    } else {
      for (int i = 1 + r.nextInt(5); i > 0; i--) members.add("\"" + field(r) + "\":" + values.get());
    }
    return "{" + String.join(",", members) + "}";
  }

  /** A model upload's form (manifest and artifact) with a manifest that is no manifest and bytes for an artifact. */
  private static String form(String manifest, Random r) {
    byte[] junk = new byte[r.nextInt(512)];
    r.nextBytes(junk);
    return "--fuzz\r\nContent-Disposition: form-data; name=\"manifest\"\r\nContent-Type: application/json\r\n\r\n" + manifest
        + "\r\n--fuzz\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"model.pt\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n" + new String(junk, StandardCharsets.ISO_8859_1) + "\r\n--fuzz--\r\n";
  }

  private static String field(Random r) {
    return FIELDS[r.nextInt(FIELDS.length)];
  }
}
