package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.dicom.Part10;
import imago.core.dicom.Uids;
import imago.core.tenant.Caller;
import imago.core.testkit.Dcmtk;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: the receive path streams. A 200 MB multi-frame instance goes in over C-STORE and over
 * STOW-RS, and a frame of it comes back out, from a server whose heap is 512 MB: no whole-instance
 * copy is ever held in memory.
 */
class LargeInstanceTest {
  private static final String MULTIFRAME_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3";
  private static final int FRAMES = 100;
  private static final int SIDE = 1024;
  private static final long FRAME_BYTES = 2L * SIDE * SIDE;
  private static final String STUDY = "2.25.200000000000000000000000000000000001";
  private static final String SERIES = "2.25.200000000000000000000000000000000002";

  @TempDir Path tmp;

  @Test
  void twoHundredMegabyteMultiFrameInstancesGoInAndComeOutOfA512MegabyteHeap() throws Exception {
    Path viaDimse = write(tmp.resolve("dimse.dcm"), "2.25.200000000000000000000000000000000003");
    Path viaStow = write(tmp.resolve("stow.dcm"), "2.25.200000000000000000000000000000000004");
    assertTrue(Files.size(viaDimse) > 200_000_000L);
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    try (ServerProcess server = ServerProcess.start(data)) { // -Xmx512m
      Dcmtk.Result stored = Dcmtk.storescu("127.0.0.1", server.dicomPort, "DEMO", "IMAGO", List.of(viaDimse));
      assertTrue(stored.ok(), stored.toString());

      Config config = Config.load(null, Map.of(), Map.of("data", data.toString(), "tenants", TestImago.TENANTS));
      String token = TokenCommand.mint(config, "demo", Caller.Role.HOSPITAL, Duration.ofHours(1), null);
      HttpClient http = HttpClient.newHttpClient();
      String boundary = "large-instance-boundary";
      HttpRequest stow = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + "/dicomweb/studies"))
          .header("Authorization", "Bearer " + token)
          .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
          .POST(HttpRequest.BodyPublishers.concat(
              HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n"),
              HttpRequest.BodyPublishers.ofFile(viaStow),
              HttpRequest.BodyPublishers.ofString("\r\n--" + boundary + "--\r\n")))
          .build();
      HttpResponse<String> stowed = http.send(stow, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, stowed.statusCode(), stowed.body());

      HttpResponse<byte[]> frame = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort
          + "/dicomweb/studies/" + STUDY + "/series/" + SERIES + "/instances/2.25.200000000000000000000000000000000003/frames/"
          + FRAMES)).header("Authorization", "Bearer " + token)
          .header("Accept", "multipart/related; type=\"application/octet-stream\"").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, frame.statusCode());
      byte[] body = frame.body();
      assertTrue(body.length > FRAME_BYTES, "one whole frame: " + body.length + " bytes");
      // the last frame is filled with its number, as write() made it
      int at = indexOf(body, new byte[] {(byte) FRAMES, 0, (byte) FRAMES, 0, (byte) FRAMES, 0, (byte) FRAMES, 0});
      assertTrue(at > 0, "frame " + FRAMES + "'s pixels are in the answer");
    }
  }

  /** A Part 10 file, explicit VR little endian, of FRAMES frames of SIDE x SIDE 16-bit pixels, written as a stream. */
  private static Path write(Path file, String sopInstanceUid) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      out.write(Part10.fileMetaInformation(MULTIFRAME_WORD_SC, sopInstanceUid, Uids.EXPLICIT_VR_LITTLE_ENDIAN, "TEST"));
      element(out, 0x0008, 0x0016, "UI", MULTIFRAME_WORD_SC);
      element(out, 0x0008, 0x0018, "UI", sopInstanceUid);
      element(out, 0x0008, 0x0060, "CS", "OT");
      element(out, 0x0010, 0x0010, "PN", "Large^Instance");
      element(out, 0x0010, 0x0020, "LO", "LARGE1");
      element(out, 0x0020, 0x000D, "UI", STUDY);
      element(out, 0x0020, 0x000E, "UI", SERIES);
      element(out, 0x0020, 0x0013, "IS", "1");
      us(out, 0x0002, 1);
      element(out, 0x0028, 0x0004, "CS", "MONOCHROME2");
      element(out, 0x0028, 0x0008, "IS", Integer.toString(FRAMES));
      us(out, 0x0010, SIDE);
      us(out, 0x0011, SIDE);
      us(out, 0x0100, 16);
      us(out, 0x0101, 16);
      us(out, 0x0102, 15);
      us(out, 0x0103, 0);
      ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      h.putShort((short) 0x7FE0).putShort((short) 0x0010).put((byte) 'O').put((byte) 'W').putShort((short) 0)
          .putInt((int) (FRAMES * FRAME_BYTES));
      out.write(h.array());
      byte[] frame = new byte[(int) FRAME_BYTES];
      for (int f = 1; f <= FRAMES; f++) {
        for (int i = 0; i < frame.length; i += 2) frame[i] = (byte) f;
        out.write(frame);
      }
    }
    return file;
  }

  private static void us(OutputStream out, int element, int value) throws IOException {
    element(out, 0x0028, element, "US", new byte[] {(byte) value, (byte) (value >> 8)});
  }

  private static void element(OutputStream out, int group, int element, String vr, String value) throws IOException {
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    if (v.length % 2 == 1) {
      v = java.util.Arrays.copyOf(v, v.length + 1);
      v[v.length - 1] = vr.equals("UI") ? 0 : (byte) ' ';
    }
    element(out, group, element, vr, v);
  }

  private static void element(OutputStream out, int group, int element, String vr, byte[] value) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    h.putShort((short) group).putShort((short) element).put((byte) vr.charAt(0)).put((byte) vr.charAt(1))
        .putShort((short) value.length);
    out.write(h.array());
    out.write(value);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }
}
