package imago.inference.manifest;

import imago.inference.engine.Framework;
import imago.inference.manifest.Manifest.Activation;
import imago.inference.manifest.Manifest.Applicability;
import imago.inference.manifest.Manifest.Batching;
import imago.inference.manifest.Manifest.Code;
import imago.inference.manifest.Manifest.Input;
import imago.inference.manifest.Manifest.Label;
import imago.inference.manifest.Manifest.Layout;
import imago.inference.manifest.Manifest.Output;
import imago.inference.manifest.Manifest.PercentileClip;
import imago.inference.manifest.Manifest.Preprocessing;
import imago.inference.manifest.Manifest.Resize;
import imago.inference.manifest.Manifest.Segment;
import imago.inference.manifest.Manifest.Stacking;
import imago.inference.manifest.Manifest.Task;
import imago.inference.manifest.Manifest.Window;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code manifest.json}: JSON, then the published JSON Schema (draft 2020-12), then the
 * checks a schema cannot say (per-channel lists as long as the channels, ranges in order...). Every
 * error is reported with its JSON Pointer, all at once, so a researcher fixes the manifest in one go.
 */
public final class ManifestParser {
  /** The schema as published at {@code /models/schema}. */
  public static final String SCHEMA_RESOURCE = "/imago/inference/manifest.schema.json";
  /** The largest manifest accepted. */
  public static final int MAX_BYTES = 1 << 20;

  private final JsonObject schema;
  private final Validator validator;

  public ManifestParser() {
    schema = loadSchema();
    validator = Validator.create(JsonSchema.of(schema),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("urn:imago:models").setOutputFormat(OutputFormat.Basic));
  }

  public static JsonObject loadSchema() {
    try (InputStream in = ManifestParser.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public JsonObject schema() {
    return schema.copy();
  }

  public Manifest parse(byte[] bytes) throws InvalidManifestException {
    if (bytes.length > MAX_BYTES) {
      throw new InvalidManifestException(List.of(new ManifestError("", "manifest is " + bytes.length
          + " bytes; at most " + MAX_BYTES + " accepted")));
    }
    JsonObject json;
    try {
      json = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new InvalidManifestException(List.of(new ManifestError("", "not a JSON object: " + firstLine(e.getMessage()))));
    }
    return parse(json);
  }

  public Manifest parse(JsonObject json) throws InvalidManifestException {
    OutputUnit result = validator.validate(json);
    if (!Boolean.TRUE.equals(result.getValid())) throw new InvalidManifestException(schemaErrors(result));
    Manifest manifest = map(json);
    List<ManifestError> errors = crossChecks(manifest);
    if (!errors.isEmpty()) throw new InvalidManifestException(errors);
    return manifest;
  }

  /** Schema errors, deepest first per location, without the "a subschema failed" noise above them. */
  private static List<ManifestError> schemaErrors(OutputUnit result) {
    Set<ManifestError> out = new LinkedHashSet<>();
    List<OutputUnit> units = result.getErrors() == null ? List.of(result) : result.getErrors();
    for (OutputUnit u : units) {
      String message = u.getError();
      if (message == null || message.startsWith("A subschema had errors") || message.contains("subschemas")) continue;
      out.add(new ManifestError(pointer(u.getInstanceLocation()), humane(message)));
    }
    if (out.isEmpty()) out.add(new ManifestError("", "does not match the manifest schema"));
    return new ArrayList<>(out);
  }

  /** "#/input/channels" -> "/input/channels". */
  private static String pointer(String location) {
    if (location == null || location.equals("#")) return "";
    return location.startsWith("#") ? location.substring(1) : location;
  }

  private static String humane(String message) {
    return message.replace("Instance does not have required property", "missing required property")
        .replace("Instance type", "type").replace("Instance", "value");
  }

  private static Manifest map(JsonObject j) {
    JsonObject in = j.getJsonObject("input");
    Input input = new Input(in.getString("name"), Layout.valueOf(in.getString("layout")), in.getInteger("channels"),
        in.getInteger("height"), in.getInteger("width"), in.getString("dtype"));
    JsonObject p = j.getJsonObject("preprocessing", new JsonObject());
    JsonObject w = p.getJsonObject("window");
    JsonObject pc = p.getJsonObject("percentileClip");
    JsonObject norm = p.getJsonObject("normalise");
    Preprocessing pre = new Preprocessing(p.getBoolean("rescale", true),
        w == null ? null : new Window(w.getDouble("center"), w.getDouble("width")),
        pc == null ? null : new PercentileClip(pc.getDouble("low"), pc.getDouble("high")),
        Resize.valueOf(upper(p.getString("resize", "bilinear"))),
        norm == null ? null : doubles(norm.getJsonArray("mean")), norm == null ? null : doubles(norm.getJsonArray("std")),
        Stacking.valueOf(upper(p.getString("stacking", "per-instance"))));
    JsonObject o = j.getJsonObject("output");
    List<Label> labels = new ArrayList<>();
    for (Object l : o.getJsonArray("labels", new JsonArray())) {
      JsonObject label = (JsonObject) l;
      labels.add(new Label(label.getString("name"), code(label.getJsonObject("code")), label.getDouble("threshold", 0.5)));
    }
    List<Segment> segments = new ArrayList<>();
    for (Object s : o.getJsonArray("labelMap", new JsonArray())) {
      JsonObject seg = (JsonObject) s;
      JsonArray color = seg.getJsonArray("color");
      segments.add(new Segment(seg.getString("name"), code(seg.getJsonObject("code")), code(seg.getJsonObject("category")),
          color == null ? null : new int[] {color.getInteger(0), color.getInteger(1), color.getInteger(2)},
          code(seg.getJsonObject("findingSite"))));
    }
    Output output = new Output(o.getString("name"), Activation.valueOf(upper(o.getString("activation", "none"))),
        List.copyOf(labels), List.copyOf(segments));
    JsonObject a = j.getJsonObject("applicability");
    Map<String, String> tags = new LinkedHashMap<>();
    a.getJsonObject("tags", new JsonObject()).forEach(e -> tags.put(e.getKey(), (String) e.getValue()));
    Applicability applicability = new Applicability(strings(a.getJsonArray("modalities")), strings(a.getJsonArray("bodyParts")),
        strings(a.getJsonArray("sopClasses")), a.getInteger("minSlices"), a.getInteger("maxSlices"), Map.copyOf(tags));
    JsonObject b = j.getJsonObject("batching", new JsonObject());
    Batching batching = new Batching(b.getInteger("maxBatchSize", 8), b.getInteger("maxQueueDelayMs", 20));
    return new Manifest(j.getString("name"), j.getString("version"), Framework.parse(j.getString("framework")),
        Task.valueOf(upper(j.getString("task"))), j.getString("description", ""), j.getString("intendedUse"),
        strings(j.getJsonArray("authors")), j.getString("licence"), j.getString("contact"), input, pre, output,
        applicability, batching);
  }

  private static List<ManifestError> crossChecks(Manifest m) {
    List<ManifestError> errors = new ArrayList<>();
    Preprocessing p = m.preprocessing();
    int channels = m.input().channels();
    if (p.mean() != null && p.mean().length != 1 && p.mean().length != channels) {
      errors.add(new ManifestError("/preprocessing/normalise/mean", "expected 1 or " + channels
          + " values (one per input channel), got " + p.mean().length));
    }
    if (p.std() != null && p.std().length != 1 && p.std().length != channels) {
      errors.add(new ManifestError("/preprocessing/normalise/std", "expected 1 or " + channels
          + " values (one per input channel), got " + p.std().length));
    }
    if (p.percentileClip() != null && p.percentileClip().low() >= p.percentileClip().high()) {
      errors.add(new ManifestError("/preprocessing/percentileClip", "low (" + p.percentileClip().low()
          + ") must be below high (" + p.percentileClip().high() + ")"));
    }
    Applicability a = m.applicability();
    if (a.minSlices() != null && a.maxSlices() != null && a.minSlices() > a.maxSlices()) {
      errors.add(new ManifestError("/applicability/minSlices", "minSlices " + a.minSlices() + " exceeds maxSlices " + a.maxSlices()));
    }
    if (m.task() == Task.SEGMENTATION && !m.output().labels().isEmpty()) {
      errors.add(new ManifestError("/output/labels", "segmentation models declare output.labelMap, not labels"));
    }
    if (m.task() != Task.SEGMENTATION && !m.output().labelMap().isEmpty()) {
      errors.add(new ManifestError("/output/labelMap", m.task().id() + " models declare output.labels, not a labelMap"));
    }
    if (m.task() == Task.CLASSIFICATION && m.output().activation() == Activation.SOFTMAX && m.output().labels().size() < 2) {
      errors.add(new ManifestError("/output/activation", "softmax over one label is always 1: use sigmoid, or declare "
          + "both classes"));
    }
    Set<String> names = new LinkedHashSet<>();
    List<String> all = m.task() == Task.SEGMENTATION ? m.output().labelMap().stream().map(Segment::name).toList()
        : m.output().labels().stream().map(Label::name).toList();
    for (int i = 0; i < all.size(); i++) {
      if (!names.add(all.get(i))) {
        errors.add(new ManifestError((m.task() == Task.SEGMENTATION ? "/output/labelMap/" : "/output/labels/") + i + "/name",
            "duplicate label name \"" + all.get(i) + "\""));
      }
    }
    return errors;
  }

  private static Code code(JsonObject c) {
    return c == null ? null : new Code(c.getString("scheme"), c.getString("value"), c.getString("meaning"));
  }

  private static double[] doubles(JsonArray a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = ((Number) a.getValue(i)).doubleValue();
    return out;
  }

  private static List<String> strings(JsonArray a) {
    if (a == null) return List.of();
    List<String> out = new ArrayList<>();
    for (Object o : a) out.add((String) o);
    return List.copyOf(out);
  }

  private static String upper(String id) {
    return id.replace('-', '_').toUpperCase(Locale.ROOT);
  }

  private static String firstLine(String s) {
    if (s == null) return "unreadable";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
