package imago.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Part10;
import imago.core.multipart.MultipartRelatedParser;
import imago.core.multipart.PartListener;
import imago.core.synthetic.SyntheticCt;
import imago.core.tenant.Caller;
import imago.storage.index.AuditEvent;
import imago.storage.index.Scope;
import imago.storage.index.StoredInstance;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WADO-RS against a real Imago (embedded S3, H2): what comes back is what was stored, byte for
 * byte; metadata is the stored attributes; frames are the stored pixels; rendered images decode;
 * Accept is negotiated; another tenant sees nothing; every answer is audited.
 */
class WadoRsTest {
  static final String ANY_DICOM = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";
  static final String OCTETS = "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*";
  static final Path CORPUS = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path tmp;
  static TestImago node;
  static SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 2, 3).withSize(48, 64).withSeed(700);
  static String study;
  static String radiologist;
  static final Map<String, byte[]> originals = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
    study = SyntheticCt.studyInstanceUid(spec, 1);
    List<byte[]> parts = new ArrayList<>();
    for (int se = 1; se <= 2; se++) {
      for (int in = 1; in <= 3; in++) {
        byte[] file = SyntheticCt.instance(spec, 1, se, in);
        parts.add(file);
        originals.put(SyntheticCt.sopInstanceUid(spec, 1, se, in), file);
      }
    }
    String hospital = node.token("demo", Caller.Role.HOSPITAL);
    assertEquals(200, node.stow(hospital, null, parts).statusCode());
    assertEquals(200, node.stow(hospital, null, List.of(Files.readAllBytes(CORPUS.resolve("MR_small_RLE.dcm"))))
        .statusCode());
    assertEquals(200, node.stow(node.token("other", Caller.Role.HOSPITAL), null,
        List.of(Files.readAllBytes(CORPUS.resolve("MR_small_jpeg_ls_lossless.dcm")))).statusCode());
    radiologist = node.token("demo", Caller.Role.RADIOLOGIST);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static HttpResponse<byte[]> get(String path, String token, String accept, String... headers) throws Exception {
    HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).timeout(Duration.ofMinutes(1)).GET();
    if (token != null) rq.header("Authorization", "Bearer " + token);
    if (accept != null) rq.header("Accept", accept);
    for (int i = 0; i < headers.length; i += 2) rq.header(headers[i], headers[i + 1]);
    return HTTP.send(rq.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  record Part(Map<String, String> headers, byte[] body) {}

  /** Splits a multipart/related response with Imago's own STOW-RS parser. */
  static List<Part> parts(HttpResponse<byte[]> response) throws Exception {
    String contentType = response.headers().firstValue("Content-Type").orElseThrow();
    assertEquals("multipart/related", MultipartRelatedParser.mediaType(contentType), contentType);
    List<Part> parts = new ArrayList<>();
    MultipartRelatedParser parser = MultipartRelatedParser.forContentType(contentType, new PartListener() {
      Map<String, String> headers;
      ByteArrayOutputStream body;

      @Override
      public void partStarted(Map<String, String> h) {
        headers = h;
        body = new ByteArrayOutputStream();
      }

      @Override
      public void partData(byte[] b, int off, int len) {
        body.write(b, off, len);
      }

      @Override
      public void partEnded() {
        parts.add(new Part(headers, body.toByteArray()));
      }
    });
    parser.feed(response.body(), 0, response.body().length);
    parser.finish();
    return parts;
  }

  static String instancePath(int series, int instance) {
    return "/dicomweb/studies/" + study + "/series/" + SyntheticCt.seriesInstanceUid(spec, 1, series) + "/instances/"
        + SyntheticCt.sopInstanceUid(spec, 1, series, instance);
  }

  static AttributeList read(byte[] part10) throws Exception {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
      list.read(in);
    }
    return list;
  }

  /** The attributes before Pixel Data (which PixelMed would try to decompress). */
  static AttributeList header(Path file) throws Exception {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(Files.newInputStream(file))) {
      list.read(in, TagFromName.PixelData);
    }
    return list;
  }

  @Test
  void studyRetrieveIsByteIdenticalToWhatWasStored() throws Exception {
    HttpResponse<byte[]> r = get("/dicomweb/studies/" + study, radiologist, ANY_DICOM);
    assertEquals(200, r.statusCode(), new String(r.body()));
    List<Part> parts = parts(r);
    assertEquals(6, parts.size());
    Map<String, StoredInstance> stored = new HashMap<>();
    for (StoredInstance i : node.imago.index().instances(Scope.tenant("demo"), study, null, null)) {
      stored.put(i.sopInstanceUid(), i);
    }
    for (Part p : parts) {
      String sop = Part10.parse(ByteBuffer.wrap(p.body())).sopInstanceUid();
      StoredInstance i = stored.remove(sop);
      assertNotNull(i, "unexpected or repeated instance " + sop);
      assertArrayEquals(node.object(i.objectKey()), p.body(), "bytes of " + sop);
      assertArrayEquals(TestImago.dataset(originals.get(sop)), TestImago.dataset(p.body()), "data set of " + sop);
      assertTrue(p.headers().get("content-type").contains("transfer-syntax=1.2.840.10008.1.2.1"), p.headers().toString());
    }
    assertTrue(stored.isEmpty(), "every stored instance came back");
  }

  @Test
  void seriesAndInstanceLevelsRetrieveTheirInstancesAndRangesSliceTheBody() throws Exception {
    String series = "/dicomweb/studies/" + study + "/series/" + SyntheticCt.seriesInstanceUid(spec, 1, 2);
    assertEquals(3, parts(get(series, radiologist, null)).size(), "no Accept: multipart, as stored");
    HttpResponse<byte[]> whole = get(instancePath(1, 2), radiologist, ANY_DICOM);
    assertEquals(1, parts(whole).size());
    HttpResponse<byte[]> range = get(instancePath(1, 2), radiologist, ANY_DICOM, "Range", "bytes=100-1099");
    assertEquals(206, range.statusCode());
    assertEquals("bytes 100-1099/" + whole.body().length, range.headers().firstValue("Content-Range").orElse(""));
    assertEquals(1000, range.body().length); // the boundary differs per response, so lengths only
    HttpResponse<byte[]> single = get(instancePath(1, 2), radiologist, "application/dicom");
    assertEquals(200, single.statusCode());
    assertArrayEquals(TestImago.dataset(originals.get(SyntheticCt.sopInstanceUid(spec, 1, 1, 2))),
        TestImago.dataset(single.body()));
    HttpResponse<byte[]> gzipAsked = get(instancePath(1, 2), radiologist, "application/dicom", "Accept-Encoding", "gzip");
    assertArrayEquals(single.body(), gzipAsked.body(), "DICOM goes uncompressed, so lengths and ranges hold");
    HttpResponse<byte[]> tail = get(instancePath(1, 2), radiologist, "application/dicom", "Range", "bytes=-16");
    assertEquals(206, tail.statusCode());
    assertArrayEquals(java.util.Arrays.copyOfRange(single.body(), single.body().length - 16, single.body().length), tail.body());
    assertEquals(416, get(instancePath(1, 2), radiologist, "application/dicom", "Range", "bytes=99999999-").statusCode());
  }

  @Test
  void metadataEqualsTheStoredInstancesAttributes() throws Exception {
    HttpResponse<byte[]> r = get("/dicomweb/studies/" + study + "/metadata", radiologist, "application/dicom+json");
    assertEquals(200, r.statusCode(), new String(r.body()));
    assertEquals("application/dicom+json", r.headers().firstValue("Content-Type").orElse(""));
    JsonNode array = JSON.readTree(r.body());
    assertEquals(6, array.size());
    for (JsonNode dataset : array) {
      String sop = text(dataset, "00080018");
      AttributeList original = read(originals.get(sop));
      for (var tag : List.of(TagFromName.SOPInstanceUID, TagFromName.SOPClassUID, TagFromName.StudyInstanceUID,
          TagFromName.SeriesInstanceUID, TagFromName.PatientID, TagFromName.StudyDate, TagFromName.Modality,
          TagFromName.AccessionNumber, TagFromName.SeriesNumber, TagFromName.InstanceNumber)) {
        String key = String.format("%04X%04X", tag.getGroup(), tag.getElement());
        assertEquals(Attribute.getSingleStringValueOrEmptyString(original, tag).trim(), text(dataset, key), key + " of " + sop);
      }
      assertEquals(Attribute.getSingleStringValueOrEmptyString(original, TagFromName.PatientName),
          dataset.path("00100010").path("Value").path(0).path("Alphabetic").asText());
      assertEquals(48, dataset.path("00280010").path("Value").path(0).asInt(), "Rows");
      assertEquals(64, dataset.path("00280011").path("Value").path(0).asInt(), "Columns");
      JsonNode pixels = dataset.path("7FE00010");
      assertEquals("OW", pixels.path("vr").asText());
      String uri = pixels.path("BulkDataURI").asText();
      assertTrue(uri.startsWith(node.baseUrl() + "/dicomweb/studies/" + study + "/series/"), uri);
      List<Part> bulk = parts(get(URI.create(uri).getPath(), radiologist, OCTETS));
      assertArrayEquals(pixelBytes(original), bulk.get(0).body(), "pixel data of " + sop);
    }
    String series = "/dicomweb/studies/" + study + "/series/" + SyntheticCt.seriesInstanceUid(spec, 1, 1);
    assertEquals(3, JSON.readTree(get(series + "/metadata", radiologist, null).body()).size());
    assertEquals(1, JSON.readTree(get(instancePath(2, 3) + "/metadata", radiologist, "application/json").body()).size());
  }

  /** 16-bit Pixel Data as little endian bytes. */
  static byte[] pixelBytes(AttributeList list) throws Exception {
    short[] values = list.get(TagFromName.PixelData).getShortValues();
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (short v : values) bytes.putShort(v);
    return bytes.array();
  }

  private static String text(JsonNode dataset, String key) {
    return dataset.path(key).path("Value").path(0).asText("");
  }

  @Test
  void framesOfAnUncompressedCtAreTheOriginalPixelBytes() throws Exception {
    byte[] expected = pixelBytes(read(originals.get(SyntheticCt.sopInstanceUid(spec, 1, 2, 1))));
    for (String accept : new String[] {OCTETS, "multipart/related; type=\"application/octet-stream\"", null}) {
      HttpResponse<byte[]> r = get(instancePath(2, 1) + "/frames/1", radiologist, accept);
      assertEquals(200, r.statusCode(), new String(r.body()));
      List<Part> parts = parts(r);
      assertEquals(1, parts.size());
      assertTrue(parts.get(0).headers().get("content-type").startsWith("application/octet-stream"));
      assertArrayEquals(expected, parts.get(0).body(), "Accept: " + accept);
    }
    assertEquals(404, get(instancePath(2, 1) + "/frames/2", radiologist, OCTETS).statusCode(), "one frame only");
    assertEquals(400, get(instancePath(2, 1) + "/frames/0", radiologist, OCTETS).statusCode(), "frames are 1-based");
  }

  @Test
  void compressedFramesGoOutAsStoredOrDecodedAndUndecodableOnesAre406() throws Exception {
    AttributeList rle = header(CORPUS.resolve("MR_small_RLE.dcm"));
    String path = "/dicomweb/studies/" + Attribute.getSingleStringValueOrEmptyString(rle, TagFromName.StudyInstanceUID)
        + "/series/" + Attribute.getSingleStringValueOrEmptyString(rle, TagFromName.SeriesInstanceUID) + "/instances/"
        + Attribute.getSingleStringValueOrEmptyString(rle, TagFromName.SOPInstanceUID) + "/frames/1";
    HttpResponse<byte[]> stored = get(path, radiologist, "multipart/related; type=\"image/dicom-rle\"");
    assertEquals(200, stored.statusCode(), new String(stored.body()));
    Part fragment = parts(stored).get(0);
    assertTrue(fragment.headers().get("content-type").startsWith("image/dicom-rle; transfer-syntax=1.2.840.10008.1.2.5"));
    assertEquals(2, ByteBuffer.wrap(fragment.body()).order(ByteOrder.LITTLE_ENDIAN).getInt(0), "RLE header: 2 segments");

    HttpResponse<byte[]> decoded = get(path, radiologist, "multipart/related; type=\"application/octet-stream\"");
    assertEquals(200, decoded.statusCode(), new String(decoded.body()));
    short[] plain = read(Files.readAllBytes(CORPUS.resolve("MR_small.dcm"))).get(TagFromName.PixelData).getShortValues();
    ByteBuffer decodedPixels = ByteBuffer.wrap(parts(decoded).get(0).body()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < plain.length; i++) assertEquals(plain[i], decodedPixels.getShort(), "pixel " + i);

    assertEquals(406, get(path, radiologist, "multipart/related; type=\"image/jpeg\"").statusCode());

    AttributeList jls = header(CORPUS.resolve("MR_small_jpeg_ls_lossless.dcm"));
    String jlsPath = "/dicomweb/studies/" + Attribute.getSingleStringValueOrEmptyString(jls, TagFromName.StudyInstanceUID)
        + "/series/" + Attribute.getSingleStringValueOrEmptyString(jls, TagFromName.SeriesInstanceUID) + "/instances/"
        + Attribute.getSingleStringValueOrEmptyString(jls, TagFromName.SOPInstanceUID) + "/frames/1";
    String other = node.token("other", Caller.Role.RADIOLOGIST);
    // JPEG-LS (PixelMed has no reader) decodes through GDCM to the very values of the uncompressed original
    HttpResponse<byte[]> jlsDecoded = get(jlsPath, other, "multipart/related; type=\"application/octet-stream\"");
    assertEquals(200, jlsDecoded.statusCode(), new String(jlsDecoded.body()));
    ByteBuffer jlsPixels = ByteBuffer.wrap(parts(jlsDecoded).get(0).body()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < plain.length; i++) assertEquals(plain[i], jlsPixels.getShort(), "JPEG-LS pixel " + i);
    HttpResponse<byte[]> jlsStored = get(jlsPath, other, "multipart/related; type=\"image/jls\"");
    assertEquals(200, jlsStored.statusCode());
    byte[] codestream = parts(jlsStored).get(0).body();
    assertEquals((byte) 0xFF, codestream[0]);
    assertEquals((byte) 0xD8, codestream[1], "a JPEG-LS codestream starts with SOI");
  }

  @Test
  void aLargePrivateBinaryValueIsABulkDataUriNotInlineMetadataAndItsUrlGivesItsBytes() throws Exception {
    // A CT carrying a 1 MiB private OB (a vendor's raw data, say): inline it would be 1.4 MB of base64 per instance.
    AttributeList l = read(SyntheticCt.instance(SyntheticCt.Spec.of(1, 1, 1).withSize(16, 16).withSeed(911), 1, 1, 1));
    com.pixelmed.dicom.AttributeTag creator = new com.pixelmed.dicom.AttributeTag(0x0009, 0x0010);
    com.pixelmed.dicom.AttributeTag blob = new com.pixelmed.dicom.AttributeTag(0x0009, 0x1001);
    l.put(new com.pixelmed.dicom.LongStringAttribute(creator));
    l.get(creator).addValue("IMAGO TEST");
    byte[] raw = new byte[1 << 20];
    new java.util.Random(5).nextBytes(raw);
    com.pixelmed.dicom.OtherByteAttribute ob = new com.pixelmed.dicom.OtherByteAttribute(blob);
    ob.setValues(raw);
    l.put(ob);
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    l.write(file, com.pixelmed.dicom.TransferSyntax.ExplicitVRLittleEndian, true, true);
    assertEquals(200, node.stow(node.token("demo", Caller.Role.HOSPITAL), null, List.of(file.toByteArray())).statusCode());
    String path = "/dicomweb/studies/" + Attribute.getSingleStringValueOrEmptyString(l, TagFromName.StudyInstanceUID)
        + "/series/" + Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SeriesInstanceUID) + "/instances/"
        + Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SOPInstanceUID);
    HttpResponse<byte[]> metadata = get(path + "/metadata", radiologist, "application/dicom+json");
    assertEquals(200, metadata.statusCode());
    assertTrue(metadata.body().length < 64 * 1024, "metadata of " + metadata.body().length + " bytes");
    JsonNode value = new ObjectMapper().readTree(metadata.body()).get(0).get("00091001");
    assertEquals(null, value.get("InlineBinary"));
    String uri = value.get("BulkDataURI").asText();
    assertEquals(node.baseUrl() + path + "/bulkdata/00091001", uri);
    HttpResponse<byte[]> bulk = get(uri.substring(node.baseUrl().length()), radiologist, "multipart/related; type=\"application/octet-stream\"");
    assertEquals(200, bulk.statusCode());
    assertArrayEquals(raw, parts(bulk).get(0).body());
  }

  @Test
  void aCompressedInstanceDeclaringAnEnormousImageIsRetrievableAsStoredButNeverDecoded() throws Exception {
    // A decompression bomb: MR_small's RLE fragments under a header declaring 65535 x 65535 x 1000 frames.
    Path bomb = tmp.resolve("bomb.dcm");
    Files.copy(CORPUS.resolve("MR_small_RLE.dcm"), bomb);
    String sop = "2.25.90210" + System.nanoTime();
    Process p = new ProcessBuilder("dcmodify", "-nb", "-m", "(0028,0010)=65535", "-m", "(0028,0011)=65535", "-i",
        "(0028,0008)=1000", "-m", "(0008,0018)=" + sop, bomb.toString()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), log);
    assertEquals(200, node.stow(node.token("demo", Caller.Role.HOSPITAL), null, List.of(Files.readAllBytes(bomb))).statusCode());
    AttributeList h = header(bomb);
    String path = "/dicomweb/studies/" + Attribute.getSingleStringValueOrEmptyString(h, TagFromName.StudyInstanceUID)
        + "/series/" + Attribute.getSingleStringValueOrEmptyString(h, TagFromName.SeriesInstanceUID) + "/instances/" + sop;
    HttpResponse<byte[]> rendered = get(path + "/rendered", radiologist, "image/png");
    assertEquals(406, rendered.statusCode());
    assertTrue(new String(rendered.body()).contains("header declares 65535 x 65535"), new String(rendered.body()));
    assertEquals(406, get(path + "/frames/1,2,3", radiologist, "multipart/related; type=\"application/octet-stream\"")
        .statusCode());
    assertEquals(200, get(path, radiologist, "multipart/related; type=\"application/dicom\"").statusCode(),
        "the object itself is still served as stored");
  }

  @Test
  void aClientHoldingARepresentationGets304WithoutItsBody() throws Exception {
    String instance = instancePath(1, 2);
    Map<String, String> accepts = Map.of(
        instance, "multipart/related; type=\"application/dicom\"",
        instance + "/metadata", "application/dicom+json",
        instance + "/frames/1", OCTETS,
        instance + "/rendered", "image/png",
        "/dicomweb/studies/" + study + "/metadata", "application/dicom+json");
    for (Map.Entry<String, String> e : accepts.entrySet()) {
      HttpResponse<byte[]> first = get(e.getKey(), radiologist, e.getValue());
      assertEquals(200, first.statusCode(), e.getKey());
      String etag = first.headers().firstValue("ETag").orElseThrow(() -> new AssertionError("no ETag on " + e.getKey()));
      assertTrue(etag.matches("(W/)?\"[0-9a-f]{32}\""), "an ETag: " + etag);
      assertTrue(!etag.startsWith("W/") || e.getKey().endsWith("/metadata"), "strong but for metadata, which may be gzipped: " + etag);
      assertEquals("private, no-cache", first.headers().firstValue("Cache-Control").orElse(""), e.getKey());
      HttpResponse<byte[]> again = get(e.getKey(), radiologist, e.getValue(), "If-None-Match", etag);
      assertEquals(304, again.statusCode(), e.getKey());
      assertEquals(0, again.body().length, e.getKey());
      assertEquals(etag, again.headers().firstValue("ETag").orElse(""));
      HttpResponse<byte[]> third = get(e.getKey(), radiologist, e.getValue());
      assertArrayEquals(first.body(), third.body(), "the same bytes under the same strong tag: " + e.getKey());
    }
    HttpResponse<byte[]> png = get(instance + "/rendered", radiologist, "image/png");
    HttpResponse<byte[]> jpeg = get(instance + "/rendered", radiologist, "image/jpeg");
    assertTrue(!png.headers().firstValue("ETag").equals(jpeg.headers().firstValue("ETag")), "each representation its own tag");
    assertEquals(200, get(instance + "/rendered", radiologist, "image/jpeg", "If-None-Match",
        png.headers().firstValue("ETag").orElseThrow()).statusCode(), "the PNG's tag does not stand for the JPEG");
  }

  @Test
  void renderedIsADecodableJpegOrPngOfTheRightSizeAndViewportScalesIt() throws Exception {
    HttpResponse<byte[]> jpeg = get(instancePath(1, 1) + "/rendered", radiologist, null);
    assertEquals(200, jpeg.statusCode(), new String(jpeg.body()));
    assertEquals("image/jpeg", jpeg.headers().firstValue("Content-Type").orElse(""));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg.body()));
    assertEquals(64, image.getWidth());
    assertEquals(48, image.getHeight());

    HttpResponse<byte[]> png = get(instancePath(1, 1) + "/rendered", radiologist, "image/png");
    assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
    BufferedImage p = ImageIO.read(new ByteArrayInputStream(png.body()));
    assertEquals(64, p.getWidth());
    assertEquals(48, p.getHeight());

    BufferedImage small = ImageIO.read(new ByteArrayInputStream(
        get(instancePath(1, 1) + "/rendered?viewport=32,32", radiologist, "image/png").body()));
    assertEquals(32, small.getWidth(), "fits the viewport, aspect ratio kept");
    assertEquals(24, small.getHeight());
    BufferedImage frame = ImageIO.read(new ByteArrayInputStream(
        get(instancePath(1, 1) + "/frames/1/rendered?viewport=128,96", radiologist, "image/png").body()));
    assertEquals(128, frame.getWidth());
    assertEquals(96, frame.getHeight());

    byte[] lung = get(instancePath(1, 1) + "/rendered?window=-600,1500", radiologist, "image/png").body();
    byte[] bone = get(instancePath(1, 1) + "/rendered?window=300,1500,sigmoid", radiologist, "image/png").body();
    assertNotEquals(java.util.Arrays.hashCode(lung), java.util.Arrays.hashCode(bone), "the window changes the image");
    assertEquals(400, get(instancePath(1, 1) + "/rendered?window=40", radiologist, null).statusCode());

    BufferedImage thumb = ImageIO.read(new ByteArrayInputStream(get("/dicomweb/studies/" + study + "/thumbnail",
        radiologist, null).body()));
    assertTrue(thumb.getWidth() <= 128 && thumb.getHeight() <= 128 && thumb.getWidth() > 0);
  }

  @Test
  void anAcceptImagoCannotSatisfyIs406() throws Exception {
    HttpResponse<byte[]> jpegBaseline = get("/dicomweb/studies/" + study, radiologist,
        "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50");
    assertEquals(406, jpegBaseline.statusCode());
    assertEquals("application/problem+json", jpegBaseline.headers().firstValue("Content-Type").orElse(""));
    assertEquals(200, get("/dicomweb/studies/" + study, radiologist,
        "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1").statusCode(),
        "the stored syntax named explicitly");
    assertEquals(406, get("/dicomweb/studies/" + study, radiologist, "application/zip").statusCode());
    assertEquals(406, get("/dicomweb/studies/" + study + "/metadata", radiologist, "multipart/related; type=\"application/dicom+xml\"")
        .statusCode());
    assertEquals(406, get(instancePath(1, 1) + "/rendered", radiologist, "image/bmp").statusCode());
    assertEquals(406, get(instancePath(1, 1) + "/frames/1", radiologist, "multipart/related; type=\"image/jpeg\"").statusCode());
  }

  @Test
  void anotherTenantsTokenGets404AndNoTokenGets401() throws Exception {
    String other = node.token("other", Caller.Role.RADIOLOGIST);
    for (String path : List.of("/dicomweb/studies/" + study, "/dicomweb/studies/" + study + "/metadata",
        instancePath(1, 1), instancePath(1, 1) + "/frames/1", instancePath(1, 1) + "/rendered",
        instancePath(1, 1) + "/bulkdata/7FE00010", "/dicomweb/studies/" + study + "/thumbnail")) {
      HttpResponse<byte[]> r = get(path, other, null);
      assertEquals(404, r.statusCode(), path);
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), path);
      assertEquals(401, get(path, null, null).statusCode(), path);
    }
    assertEquals(404, get("/dicomweb/studies/1.2.3.4.5", radiologist, null).statusCode(), "unknown study");
    assertEquals(400, get("/dicomweb/studies/not-a-uid", radiologist, null).statusCode());
  }

  @Test
  void everyRetrieveLeavesAuditRows() throws Exception {
    String dr = node.imago.auth().mint("dr.verdi", "demo", Caller.Role.RADIOLOGIST, Duration.ofMinutes(5));
    assertEquals(200, get("/dicomweb/studies/" + study, dr, ANY_DICOM).statusCode());
    assertEquals(200, get("/dicomweb/studies/" + study + "/metadata", dr, null).statusCode());
    assertEquals(200, get(instancePath(1, 3) + "/frames/1", dr, OCTETS).statusCode());
    assertEquals(200, get(instancePath(1, 3) + "/rendered", dr, null).statusCode());
    List<AuditEvent> mine = node.imago.index().auditOfStudy("demo", study).stream()
        .filter(e -> "dr.verdi".equals(e.subject())).toList();
    assertEquals(6, mine.stream().filter(e -> e.action().equals("retrieve")).count(), "one row per instance");
    assertEquals(1, mine.stream().filter(e -> e.action().equals("metadata") && e.seriesUid() == null).count());
    assertEquals(1, mine.stream().filter(e -> e.action().equals("frames")).count());
    assertEquals(1, mine.stream().filter(e -> e.action().equals("rendered")).count());
    assertTrue(mine.stream().allMatch(e -> e.via().equals("WADO_RS") && e.tenantId().equals("demo")
        && e.role().equals("radiologist") && "127.0.0.1".equals(e.remote())), mine.toString());
    assertEquals(0, node.imago.index().auditOfStudy(null, study).stream()
        .filter(e -> "other".equals(e.tenantId())).count(), "404s reveal nothing and are not accesses");
  }
}
