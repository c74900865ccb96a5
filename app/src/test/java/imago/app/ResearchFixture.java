package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.synthetic.ChestPhantoms;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** A researcher's side of a research project in the tests: requests, the export, labels the generator knows. */
final class ResearchFixture {
  final TestImago imago;

  ResearchFixture(TestImago imago) {
    this.imago = imago;
  }

  HttpResponse<String> post(String token, String path, JsonObject body) throws Exception {
    return imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + path)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode())).build());
  }

  HttpResponse<String> get(String token, String path) throws Exception {
    return imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + path)).header("Authorization", "Bearer " + token)
        .GET().build());
  }

  HttpResponse<String> postCsv(String token, String path, String csv) throws Exception {
    return imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + path)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(csv)).build());
  }

  /** The project's export, its files by path. */
  Map<String, byte[]> export(String token, String project) throws Exception {
    return export(token, project, false);
  }

  /** The same, with NIfTI volumes when {@code nifti}. */
  Map<String, byte[]> export(String token, String project, boolean nifti) throws Exception {
    HttpResponse<byte[]> r = imago.http().send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/research/" + project
        + "/export" + (nifti ? "?nifti=true" : ""))).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(r.body()))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) files.put(e.getName(), zip.readAllBytes());
    }
    return files;
  }

  /** Writes the export under {@code dir} as {@code imago research export} does. */
  static void unpack(Map<String, byte[]> files, Path dir) throws Exception {
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path target = dir.resolve(f.getKey());
      Files.createDirectories(target.getParent());
      Files.write(target, f.getValue());
    }
  }

  /**
   * Labels an exported cohort of phantom radiographs as a researcher would, knowing each image
   * (recognised by its pixels, which de-identification leaves as they are): a study-level
   * {@code lesion} label for classifiers and, with {@code boxes}, the lesion's box (or its absence)
   * on the image for detectors. The CSV {@code POST /research/{p}/labels} takes.
   */
  static String labels(Map<String, byte[]> export, Collection<ChestPhantoms.Study> sources, boolean boxes) throws Exception {
    Map<String, ChestPhantoms.Study> byPixels = new HashMap<>();
    for (ChestPhantoms.Study s : sources) byPixels.put(sha(pixels(read(s.instances().get(0)))), s);
    StringBuilder csv = new StringBuilder("study,instance,finding,present,x0,y0,x1,y1\n");
    for (Map.Entry<String, byte[]> e : export.entrySet()) {
      if (!e.getKey().endsWith(".dcm")) continue;
      AttributeList l = read(e.getValue());
      ChestPhantoms.Study source = byPixels.get(sha(pixels(l)));
      if (source == null) continue;
      String study = l.get(TagFromName.StudyInstanceUID).getSingleStringValueOrEmptyString();
      String sop = l.get(TagFromName.SOPInstanceUID).getSingleStringValueOrEmptyString();
      double[] box = source.lesionBox();
      csv.append(study).append(",,lesion,").append(box == null ? 0 : 1).append('\n');
      if (!boxes) continue;
      if (box == null) {
        csv.append(study).append(',').append(sop).append(",lesion,0\n");
      } else {
        csv.append(String.format(Locale.ROOT, "%s,%s,lesion,1,%.2f,%.2f,%.2f,%.2f%n", study, sop, box[0], box[1], box[2], box[3]));
      }
    }
    return csv.toString();
  }

  static AttributeList read(byte[] part10) throws Exception {
    AttributeList l = new AttributeList();
    l.read(new DicomInputStream(new ByteArrayInputStream(part10)));
    return l;
  }

  static byte[] pixels(AttributeList l) throws Exception {
    short[] words = l.get(TagFromName.PixelData).getShortValues();
    ByteBuffer b = ByteBuffer.allocate(words.length * 2);
    b.asShortBuffer().put(words);
    return b.array();
  }

  static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
