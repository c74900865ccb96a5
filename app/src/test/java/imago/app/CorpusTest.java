package imago.app;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.DicomStatus;
import imago.core.dicom.MalformedDicomException;
import imago.core.dicom.Part10;
import imago.core.tenant.Caller;
import imago.storage.index.StoredInstance;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file of Debian's python3-pydicom test corpus goes in by STOW-RS, each into a tenant of its
 * own (many corpus files share SOP Instance UIDs). Valid DICOM comes back from S3 byte for byte;
 * each known-broken file is refused with its FailureReason and leaves nothing behind. Prints one
 * line per file.
 */
class CorpusTest {
  static final Path CORPUS = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
  /** Files of the corpus that are not DICOM at all (pydicom's dumps, JSON, a zipped file, READMEs). */
  private static final Set<String> NOT_DICOM_EXTENSIONS = Set.of("txt", "json", "dump", "gz");

  /** Why a file is refused, and the FailureReason (0008,1197) it must be refused with. */
  record Broken(int reason, String why) {}

  /**
   * Every file Imago must refuse, each checked against dcmtk 3.6.7 (dcmdump +fo): no other file
   * may be refused. Paths are relative to {@link #CORPUS}.
   */
  static final Map<String, Broken> KNOWN_BROKEN = Map.ofEntries(
      // Not PS3.10 files. A STOW-RS application/dicom part is a PS3.10 file (PS3.18 §8.7.3.1.2):
      // dcmdump +fo says "File meta information header missing" for each.
      Map.entry("ExplVR_BigEndNoMeta.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "bare data set: no 128-byte preamble, no DICM, no File Meta Information")),
      Map.entry("ExplVR_LitEndNoMeta.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "bare data set: no 128-byte preamble, no DICM, no File Meta Information")),
      Map.entry("no_meta.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "bare data set: no 128-byte preamble, no DICM, no File Meta Information")),
      Map.entry("rtstruct.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "bare implicit VR data set: no preamble, no DICM, no File Meta Information")),
      Map.entry("meta_missing_tsyntax.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "File Meta Information without Transfer Syntax UID (0002,0010): the data set cannot be decoded")),
      // Truncated: dcmdump stops with "larger than remaining bytes".
      Map.entry("MR_truncated.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "truncated: Pixel Data (7FE0,0010) declares 8192 bytes, fewer remain")),
      Map.entry("rtplan_truncated.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "truncated: Beam Sequence (300A,00B0) declares 976 bytes, 711 remain (dcmdump: Isocenter Position)")),
      // A defined-length item longer than what is left of its sequence: pydicom removed two offset
      // elements (24 bytes) from the last directory record without fixing its item length. dcmdump
      // reads on leniently; dciodvfy: "Bad Explicit Value Length for Sequence Item - actual length
      // 0xe0 not equal to specified length 0xf8".
      Map.entry("dicomdirtests/DICOMDIR-nooffset", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "DICOMDIR whose last Directory Record item declares 248 bytes but holds 224")),
      // The data set is not encoded in the transfer syntax its File Meta Information names.
      Map.entry("SC_rgb_jpeg.dcm", new Broken(DicomStatus.CANNOT_UNDERSTAND,
          "meta says JPEG Baseline (explicit VR) but the data set is implicit VR: dcmdump reads VR '\\x18\\0'"
              + " at (0008,0008), then an element longer than the file")),
      // The File Meta Information names another instance than the data set holds: Media Storage
      // SOP Instance UID (0002,0003) 1.2.999... but SOP Instance UID (0008,0018) 1.9... or 1.2.777...
      // PS3.10 §7.1 requires them equal; dciodvfy: "Error - MediaStorageSOPInstanceUID different
      // from SOPInstanceUID" (on rtplan.dcm; it asserts out on the 32-bit RT Dose pixels). dcmdump
      // reads them fully, since it checks encoding, not consistency. Which UID the sender meant is
      // unknowable, so Imago refuses rather than file the object under a guess.
      Map.entry("rtplan.dcm", metaNamesAnotherInstance()),
      Map.entry("rtdose.dcm", metaNamesAnotherInstance()),
      Map.entry("rtdose_1frame.dcm", metaNamesAnotherInstance()),
      Map.entry("rtdose_expb.dcm", metaNamesAnotherInstance()),
      Map.entry("rtdose_expb_1frame.dcm", metaNamesAnotherInstance()),
      Map.entry("badVR.dcm", metaNamesAnotherInstance()),
      // Well-formed DICOM that dcmtk reads fully, but no composite instance: they carry none of
      // SOP Class, SOP Instance, Study Instance and Series Instance UID (PS3.3 C.12.1, C.7.2.1,
      // C.7.3.1), so there is nothing to file them under. Refused as a missing mandatory UID.
      Map.entry("UN_sequence.dcm", notAnInstance("pydicom fragment: a UN sequence, no UIDs")),
      Map.entry("empty_charset_LEI.dcm", notAnInstance("pydicom fragment: an empty Specific Character Set, no UIDs")),
      Map.entry("nested_priv_SQ.dcm", notAnInstance("pydicom fragment: a nested private sequence, no UIDs")),
      Map.entry("priv_SQ.dcm", notAnInstance("pydicom fragment: a private sequence, no UIDs")),
      Map.entry("no_meta_group_length.dcm", notAnInstance(
          "pydicom fragment (File Meta Information without group length, accepted): no UIDs in the data set")),
      // Media Storage Directories (PS3.10 §8.6, SOP Class 1.2.840.10008.1.3.10): valid files, but
      // an index of a medium, not an instance to archive; their data sets carry no SOP UIDs.
      Map.entry("dicomdirtests/DICOMDIR", notAnInstance("DICOMDIR")),
      Map.entry("dicomdirtests/DICOMDIR-bigEnd", notAnInstance("DICOMDIR, explicit VR big endian")),
      Map.entry("dicomdirtests/DICOMDIR-empty.dcm", notAnInstance("DICOMDIR with no records")),
      Map.entry("dicomdirtests/DICOMDIR-implicit", notAnInstance("DICOMDIR, implicit VR")),
      Map.entry("dicomdirtests/DICOMDIR-nopatient", notAnInstance("DICOMDIR without patient records")),
      Map.entry("dicomdirtests/DICOMDIR-reordered", notAnInstance("DICOMDIR with reordered records")),
      Map.entry("dicomdirtests/TINY_ALPHA/DICOMDIR", notAnInstance("DICOMDIR")));

  /** Stored images that do not render, and why: none may be missing here, none may render. */
  static final Map<String, String> NOT_RENDERED = Map.of(
      // Its one fragment's JPEG 2000 SIZ segment declares 4,292,730,882 tiles (the bytes of a sequence
      // delimiter sit in the codestream): jai-imageio says "not Part I compliant", GDCM's OpenJPEG
      // "Invalid number of tiles", and gdcmconv --raw fails on it alike.
      "JPEG2000-embedded-sequence-delimiter.dcm", "an invalid JPEG 2000 codestream");

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static Broken metaNamesAnotherInstance() {
    return new Broken(DicomStatus.CANNOT_UNDERSTAND_INSTANCE_MISMATCH,
        "Media Storage SOP Instance UID (0002,0003) differs from SOP Instance UID (0008,0018)");
  }

  private static Broken notAnInstance(String why) {
    return new Broken(DicomStatus.CANNOT_UNDERSTAND_UID, "not a composite instance: " + why);
  }

  static List<Path> corpusFiles() throws IOException {
    try (Stream<Path> files = Files.walk(CORPUS)) {
      return files.filter(Files::isRegularFile)
          .filter(p -> !NOT_DICOM_EXTENSIONS.contains(extension(p)) && !p.getFileName().toString().equals("README"))
          .sorted()
          .toList();
    }
  }

  @Test
  void everyValidCorpusFileIsStoredByteIdenticalAndEveryBrokenOneIsRefusedLeavingNothing() throws Exception {
    assumeTrue(Files.isDirectory(CORPUS), "python3-pydicom test files not installed");
    List<Path> files = corpusFiles();
    List<String> tenants = IntStream.rangeClosed(1, files.size()).mapToObj(i -> String.format("c%03d", i)).toList();
    String config = tenants.stream().map(t -> "{id: " + t + ", name: " + t + ", aeTitles: []}")
        .collect(Collectors.joining(", ", "[", "]"));
    List<String> problems = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    StringBuilder table = new StringBuilder(String.format("%-62s %-6s %-4s %-8s %-10s %s%n", "file", "tenant", "http", "outcome", "rendered", "detail"));
    int stored = 0;
    try (TestImago node = TestImago.start(tmp.resolve("data"), Map.of("tenants", config))) {
      for (int i = 0; i < files.size(); i++) {
        String name = CORPUS.relativize(files.get(i)).toString();
        seen.add(name);
        String tenant = tenants.get(i);
        byte[] sent = Files.readAllBytes(files.get(i));
        HttpResponse<String> r = node.stow(node.token(tenant, Caller.Role.HOSPITAL), null, List.of(sent));
        Verdict v = verdict(r);
        Broken broken = KNOWN_BROKEN.get(name);
        String rendered = "";
        if (broken == null) {
          if (checkStored(node, tenant, name, sent, v, problems)) {
            stored++;
            rendered = checkRendered(node, tenant, name, sent, problems);
          }
        }
        table.append(String.format("%-62s %-6s %-4d %-8s %-10s %s%n", name, tenant, r.statusCode(), v.outcome(), rendered,
            v.detail()));
        if (broken == null) {
          // checked above
        } else {
          checkRefused(node, tenant, name, sent, broken, v, problems);
        }
      }
      long rows = node.imago.index().instanceCount();
      if (rows != stored) problems.add("index holds " + rows + " instances, " + stored + " were stored");
    }
    List<String> stale = KNOWN_BROKEN.keySet().stream().filter(k -> !seen.contains(k)).sorted().toList();
    if (!stale.isEmpty()) problems.add("KNOWN_BROKEN names files the corpus lacks: " + stale);
    table.append(String.format("%d files: %d stored, %d refused as known broken%n", files.size(), stored,
        files.size() - stored));
    System.out.print(table);
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }

  /** A valid file: 200, indexed, and its S3 object is the file byte for byte. */
  private static boolean checkStored(TestImago node, String tenant, String name, byte[] sent, Verdict v,
      List<String> problems) throws Exception {
    if (v.status() != 200 || v.sopInstanceUid() == null) {
      problems.add(name + ": valid DICOM not stored: " + v);
      return false;
    }
    Optional<StoredInstance> row = node.imago.index().instance(tenant, v.sopInstanceUid());
    if (row.isEmpty()) {
      problems.add(name + ": acknowledged but not indexed");
      return false;
    }
    if (!Arrays.equals(sent, node.object(row.get().objectKey()))) {
      problems.add(name + ": S3 object differs from the file");
      return false;
    }
    return true;
  }

  /**
   * A stored image renders as PNG through WADO-RS, whatever its transfer syntax; "-" for an
   * instance without Pixel Data, otherwise "png" or the status and why (a problem unless the file
   * is in {@link #NOT_RENDERED}).
   */
  private static String checkRendered(TestImago node, String tenant, String name, byte[] sent, List<String> problems)
      throws Exception {
    AttributeList header = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new java.io.ByteArrayInputStream(sent))) {
      header.read(in, TagFromName.PixelData);
    } catch (IOException | com.pixelmed.dicom.DicomException e) {
      return "-";
    }
    if (header.get(TagFromName.Rows) == null) return "-"; // no image: an SR, a KOS, a plan
    String path = "/dicomweb/studies/" + Attribute.getSingleStringValueOrEmptyString(header, TagFromName.StudyInstanceUID)
        + "/series/" + Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SeriesInstanceUID) + "/instances/"
        + Attribute.getSingleStringValueOrEmptyString(header, TagFromName.SOPInstanceUID) + "/rendered";
    HttpResponse<byte[]> r = node.http().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.baseUrl() + path))
        .header("Authorization", "Bearer " + node.token(tenant, Caller.Role.RADIOLOGIST)).header("Accept", "image/png")
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    boolean png = r.statusCode() == 200 && r.body().length > 8 && r.body()[1] == 'P' && r.body()[2] == 'N' && r.body()[3] == 'G';
    String outcome = png ? "png" : r.statusCode() + " " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)
        .replaceAll(".*\"detail\"\\s*:\\s*\"([^\"]*)\".*", "$1");
    String expected = NOT_RENDERED.get(name);
    if (png && expected != null) problems.add(name + ": renders now; remove it from NOT_RENDERED (" + expected + ")");
    if (!png && expected == null) problems.add(name + ": stored image does not render: " + outcome);
    return png ? "png" : "not (" + r.statusCode() + ")";
  }

  /** A known-broken file: 409 with the expected FailureReason, and no row and no object for its tenant. */
  private static void checkRefused(TestImago node, String tenant, String name, byte[] sent, Broken broken, Verdict v,
      List<String> problems) throws Exception {
    if (v.status() != 409 || v.failureReason() != broken.reason()) {
      problems.add(name + ": expected refusal " + DicomStatus.hex(broken.reason()) + " (" + broken.why() + "), got " + v);
    }
    List<String> objects = new ArrayList<>();
    node.imago.store().list(tenant + "/", info -> objects.add(info.key()));
    if (!objects.isEmpty()) problems.add(name + ": refused, yet S3 holds " + objects);
    String metaSop = metaSopInstanceUid(sent);
    if (metaSop != null && node.imago.index().instance(tenant, metaSop).isPresent()) {
      problems.add(name + ": refused, yet indexed as " + metaSop);
    }
  }

  /** What the STOW-RS response says about its single part. */
  record Verdict(int status, String outcome, String sopInstanceUid, int failureReason, String detail) {}

  private static Verdict verdict(HttpResponse<String> r) throws IOException {
    if (!r.headers().firstValue("Content-Type").orElse("").startsWith("application/dicom+json")) {
      return new Verdict(r.statusCode(), "error", null, -1, r.body());
    }
    JsonNode body = JSON.readTree(r.body());
    JsonNode referenced = body.path("00081199").path("Value").path(0);
    if (!referenced.isMissingNode()) {
      String sop = referenced.path("00081155").path("Value").path(0).asText(null);
      return new Verdict(r.statusCode(), "stored", sop, 0, sop);
    }
    JsonNode failed = body.path("00081198").path("Value").path(0);
    int reason = failed.path("00081197").path("Value").path(0).asInt(-1);
    String sop = failed.path("00081155").path("Value").path(0).asText(null);
    return new Verdict(r.statusCode(), "refused", sop, reason, DicomStatus.hex(reason) + (sop == null ? "" : " " + sop));
  }

  private static String metaSopInstanceUid(byte[] file) {
    try {
      return Part10.parse(ByteBuffer.wrap(file)).sopInstanceUid();
    } catch (MalformedDicomException e) {
      return null;
    }
  }

  private static String extension(Path p) {
    String name = p.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1);
  }
}
