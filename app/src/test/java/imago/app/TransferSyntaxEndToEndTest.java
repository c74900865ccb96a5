package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import imago.core.testkit.Dcmtk;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every transfer syntax a hospital sends goes end to end: the phantom study, compressed by dcmtk
 * (and GDCM's gdcmconv for JPEG 2000, which dcmtk does not write), is C-STOREd in its own syntax,
 * the ONNX classifier's job ends done with an SR, the
 * first instance renders as PNG and its frame decodes. For lossless syntaxes the decoded frame
 * equals the stored original value for value, and the model's probabilities equal Python's on the
 * uncompressed phantoms; for lossy ones the frame equals a reference decoder's, value for value.
 */
class TransferSyntaxEndToEndTest {
  private static final String MODEL = "lesion-cls-onnx";

  /**
   * One syntax: the storescu option that proposes it (storescu has none for JPEG lossless other
   * than SV1: dcmsend then, which proposes each file's own syntax), its encoder, and for a lossy
   * one, the reference decoder whose values Imago's must equal (another implementation where one
   * exists: dcmtk's for JPEG and JPEG-LS, GDCM's OpenJPEG for JPEG 2000, which Imago reads with
   * jai-imageio). Encoder and decoder get the input and output files appended.
   */
  record Syntax(String storeOption, List<String> encoder, List<String> referenceDecoder) {
    boolean lossless() {
      return referenceDecoder == null;
    }
  }

  private static final Map<String, Syntax> SYNTAXES = new LinkedHashMap<>();

  static {
    SYNTAXES.put("deflated", new Syntax("-xd", List.of("dcmconv", "+td"), null));
    SYNTAXES.put("big-endian", new Syntax("-xb", List.of("dcmconv", "+tb"), null));
    SYNTAXES.put("rle", new Syntax("-xr", List.of("dcmcrle"), null));
    SYNTAXES.put("jpeg-lossless-sv1", new Syntax("-xs", List.of("dcmcjpeg", "+e1"), null));
    SYNTAXES.put("jpeg-lossless-p14-sv6", new Syntax("dcmsend", List.of("dcmcjpeg", "+el", "+sv", "6"), null));
    // baseline is 8-bit: dcmcjpeg scales the 12-bit values into 8 (and writes the rescale that undoes it)
    SYNTAXES.put("jpeg-baseline-8bit", new Syntax("-xy", List.of("dcmcjpeg", "+eb"), List.of("dcmdjpeg")));
    SYNTAXES.put("jpeg-extended-12bit", new Syntax("-xx", List.of("dcmcjpeg", "+ee"), List.of("dcmdjpeg")));
    SYNTAXES.put("jpeg-ls-lossless", new Syntax("-xt", List.of("dcmcjpls"), null));
    SYNTAXES.put("jpeg-ls-near-lossless", new Syntax("-xu", List.of("dcmcjpls", "+en"), List.of("dcmdjpls")));
    SYNTAXES.put("jpeg2000-lossless", new Syntax("-xv", List.of("gdcmconv", "--j2k"), null));
    // GDCM calls its lossy JPEG 2000 encoder experimental: at -q 50 the phantoms lose enough to move the model a lot
    SYNTAXES.put("jpeg2000-lossy", new Syntax("-xw", List.of("gdcmconv", "--j2k", "--lossy", "-q", "50"),
        List.of("gdcmconv", "--raw")));
  }

  @TempDir static Path tmp;
  static TestImago imago;
  static InferenceFixture fx;

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"));
    fx = new InferenceFixture(imago, tmp);
    fx.activate(ReferenceModels.model(MODEL));
  }

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
  }

  @Test
  void everySyntaxGetsItsResultItsRenderingAndItsValues() throws Exception {
    Map<String, PhantomStudy> studies = new LinkedHashMap<>();
    Map<String, List<Path>> sent = new LinkedHashMap<>();
    for (Map.Entry<String, Syntax> e : SYNTAXES.entrySet()) {
      PhantomStudy study = PhantomStudy.write(tmp.resolve("plain-" + e.getKey()), "TS" + (studies.size() + 1));
      List<Path> files = new ArrayList<>();
      Path dir = Files.createDirectories(tmp.resolve(e.getKey()));
      for (Path f : study.files) {
        Path out = dir.resolve(f.getFileName());
        List<String> command = new ArrayList<>(e.getValue().encoder());
        command.add(f.toString());
        command.add(out.toString());
        run(command);
        files.add(out);
      }
      String option = e.getValue().storeOption();
      if (option.equals("dcmsend")) {
        List<String> command = new ArrayList<>(List.of("dcmsend", "-aet", "STORESCU", "-aec", "IMAGO", "127.0.0.1",
            Integer.toString(imago.dicomPort())));
        files.forEach(f -> command.add(f.toString()));
        run(command);
      } else {
        Dcmtk.Result push = Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", files, option);
        assertTrue(push.ok(), e.getKey() + ": " + push.output());
      }
      studies.put(e.getKey(), study);
      sent.put(e.getKey(), files);
    }
    ReferenceModels.Pair python = ReferenceModels.pair(MODEL, "phantom");
    String radiologist = imago.token("demo", Caller.Role.RADIOLOGIST);
    StringBuilder table = new StringBuilder(String.format("%-24s %-22s %-6s %-5s %s%n", "syntax", "transfer syntax", "job",
        "png", "worst probability difference from Python"));
    for (Map.Entry<String, PhantomStudy> e : studies.entrySet()) {
      String name = e.getKey();
      PhantomStudy study = e.getValue();
      Syntax syntax = SYNTAXES.get(name);
      boolean lossless = syntax.lossless();
      // lossy encoders give the instances new SOP Instance UIDs: phantom k is the k-th file sent
      List<String> sops = new ArrayList<>();
      String ts = null;
      for (Path f : sent.get(name)) {
        AttributeList header = new AttributeList();
        header.read(f.toFile(), TagFromName.PixelData);
        sops.add(Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SOPInstanceUID));
        ts = Attribute.getSingleStringValueOrEmptyString(header, TagFromName.TransferSyntaxUID);
        assertEquals(study.seriesUid, Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SeriesInstanceUID));
      }

      JsonObject job = fx.jobOf(fx.awaitJobs(study.studyUid, 1), MODEL);
      assertEquals("done", job.getString("state"), name + ": " + job.encodePrettily());
      JsonObject result = job.getJsonObject("result");
      assertEquals("SR", result.getJsonArray("objects").getJsonObject(0).getString("modality"), name);
      double worst = 0;
      JsonArray images = result.getJsonArray("images");
      assertEquals(sops.size(), images.size(), name);
      for (int k = 0; k < images.size(); k++) {
        JsonObject image = images.getJsonObject(k);
        int index = sops.indexOf(image.getString("sopInstanceUID"));
        double want = InferenceTest.softmax(python.out()[index * 2], python.out()[index * 2 + 1])[1];
        worst = Math.max(worst, Math.abs(want - image.getJsonArray("probabilities").getDouble(1)));
      }
      if (lossless) assertTrue(worst < 1e-4, name + ": the model saw other pixels than Python did: " + worst);

      String instance = "/dicomweb/studies/" + study.studyUid + "/series/" + study.seriesUid + "/instances/"
          + sops.get(0);
      HttpResponse<byte[]> png = get(instance + "/rendered", radiologist, "image/png");
      assertEquals(200, png.statusCode(), name + ": " + new String(png.body(), StandardCharsets.UTF_8));
      assertEquals("PNG", new String(png.body(), 1, 3, StandardCharsets.US_ASCII), name);
      HttpResponse<byte[]> frame = get(instance + "/frames/1", radiologist,
          "multipart/related; type=\"application/octet-stream\"");
      assertEquals(200, frame.statusCode(), name + ": " + new String(frame.body(), StandardCharsets.UTF_8));
      // lossless: the stored original's values; lossy: the reference decoder's
      Path expected = study.files.get(0);
      if (!lossless) {
        expected = tmp.resolve(name + "-reference.dcm");
        List<String> command = new ArrayList<>(syntax.referenceDecoder());
        command.add(sent.get(name).get(0).toString());
        command.add(expected.toString());
        run(command);
      }
      AttributeList reference = new AttributeList();
      reference.read(expected.toFile());
      byte[] want = nativeLittleEndian(reference);
      byte[] body = WadoRsTest.parts(frame).get(0).body();
      assertEquals(want.length, body.length, name);
      for (int i = 0; i < want.length; i++) assertEquals(want[i], body[i], name + " byte " + i + " of the frame");
      // WADO-RS sends the instance as stored unless Explicit VR Little Endian is asked for; then decompressed
      HttpResponse<byte[]> asStored = get(instance, radiologist, "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
      assertEquals(200, asStored.statusCode(), name);
      assertTrue(WadoRsTest.parts(asStored).get(0).headers().toString().contains("transfer-syntax=" + ts + ""),
          name + ": as stored, in " + ts);
      HttpResponse<byte[]> transcoded = get(instance, radiologist,
          "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1");
      assertEquals(200, transcoded.statusCode(), name + ": " + new String(transcoded.body(), StandardCharsets.UTF_8));
      WadoRsTest.Part part = WadoRsTest.parts(transcoded).get(0);
      assertTrue(part.headers().toString().contains("transfer-syntax=1.2.840.10008.1.2.1"), name + ": " + part.headers());
      Path file = Files.write(tmp.resolve(name + "-transcoded.dcm"), part.body());
      AttributeList explicit = new AttributeList();
      explicit.read(file.toFile());
      assertEquals("1.2.840.10008.1.2.1", Attribute.getSingleStringValueOrEmptyString(explicit, TagFromName.TransferSyntaxUID));
      assertEquals(sops.get(0), Attribute.getSingleStringValueOrEmptyString(explicit, TagFromName.SOPInstanceUID));
      byte[] transcodedPixels = nativeLittleEndian(explicit);
      for (int i = 0; i < want.length; i++) assertEquals(want[i], transcodedPixels[i], name + " transcoded byte " + i);
      if (!lossless) {
        assertEquals("01", Attribute.getSingleStringValueOrEmptyString(explicit, TagFromName.LossyImageCompression), name);
      }
      HttpResponse<byte[]> uri = get("/wado?requestType=WADO&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.1"
          + "&studyUID=" + study.studyUid + "&seriesUID=" + study.seriesUid + "&objectUID=" + sops.get(0), radiologist, "*/*");
      assertEquals(200, uri.statusCode(), name);
      assertTrue(java.util.Arrays.equals(part.body(), uri.body()), name + ": WADO-URI transcodes as WADO-RS does");
      // dciodvfy finds nothing in the transcoded object it does not find in the one sent (the phantoms lack some
      // CR attributes, lossy encoders shorten Image Type); dciodvfy reads no deflated file: the phantom then
      Path sentFile = name.equals("deflated") ? study.files.get(0) : sent.get(name).get(0);
      List<String> before = Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(sentFile).output());
      List<String> after = Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(file).output());
      assertTrue(before.containsAll(after), name + ": transcoding added " + after + " to " + before);
      table.append(String.format("%-24s %-22s %-6s %-5s %.2g%n", name, ts, job.getString("state"), "ok", worst));
    }
    System.out.print(table);
  }

  /** The first frame of a native data set as little-endian bytes, Bits Allocated per sample (PixelMed may hold 8-bit values as OW). */
  private static byte[] nativeLittleEndian(AttributeList list) throws Exception {
    int bytes = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 16) / 8;
    int length = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0)
        * Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0) * bytes;
    Attribute pixels = list.get(TagFromName.PixelData);
    if (pixels instanceof com.pixelmed.dicom.OtherWordAttribute) {
      short[] words = pixels.getShortValues();
      ByteBuffer b = ByteBuffer.allocate(words.length * 2).order(ByteOrder.LITTLE_ENDIAN);
      b.asShortBuffer().put(words);
      return java.util.Arrays.copyOf(b.array(), length);
    }
    return java.util.Arrays.copyOf(pixels.getByteValues(), length);
  }

  private static HttpResponse<byte[]> get(String path, String token, String accept) throws Exception {
    return imago.http().send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + path))
        .header("Authorization", "Bearer " + token).header("Accept", accept).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, command + ": " + log);
  }
}
