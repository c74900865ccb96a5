package imago.node.dicomweb.wado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import imago.storage.index.Source;
import imago.storage.index.StoredInstance;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Accept negotiation (PS3.18 §8.7.3) and byte ranges, without a server. */
class NegotiationTest {
  static final String EXPLICIT = "1.2.840.10008.1.2.1";
  static final String JPEG = "1.2.840.10008.1.2.4.50";

  static StoredInstance stored(String ts) {
    return new StoredInstance(1, "t", "1.2", "1.2.3", "1.2.3.4", "1.2.840.10008.5.1.4.1.1.2", ts, "k", 10, 0, "x",
        Source.STOW, Instant.now());
  }

  @Test
  void acceptRangesAreOrderedByQualityAndQuotedTypesSurvive() {
    List<MediaRange> r = MediaRange.parse("image/png;q=0.5, multipart/related; type=\"application/dicom\"; "
        + "transfer-syntax=*, image/gif;q=0");
    assertEquals(2, r.size(), "q=0 means not acceptable");
    assertEquals("multipart/related", r.get(0).type());
    assertEquals("application/dicom", r.get(0).partType());
    assertEquals("*", r.get(0).transferSyntax());
    assertEquals("*/*", MediaRange.parse(null).get(0).type());
  }

  @Test
  void instancesGoAsStoredUnlessExplicitLittleEndianIsNamed() {
    List<StoredInstance> mixed = List.of(stored(EXPLICIT), stored(JPEG));
    WadoRs.Plan multipartAsStored = new WadoRs.Plan(WadoRs.Packaging.MULTIPART, false);
    assertEquals(multipartAsStored, WadoRs.negotiate(MediaRange.parse(
        "multipart/related; type=\"application/dicom\"; transfer-syntax=*"), mixed, false));
    assertEquals(multipartAsStored, WadoRs.negotiate(MediaRange.parse(null), mixed, false));
    assertEquals(new WadoRs.Plan(WadoRs.Packaging.MULTIPART, true), WadoRs.negotiate(MediaRange.parse(
        "multipart/related; type=\"application/dicom\"; transfer-syntax=" + EXPLICIT), mixed, false));
    assertEquals(multipartAsStored, WadoRs.negotiate(MediaRange.parse(
        "multipart/related; type=\"application/dicom\"; transfer-syntax=" + EXPLICIT), List.of(stored(EXPLICIT)), false),
        "already in the syntax asked for: nothing to transcode");
    assertNull(WadoRs.negotiate(MediaRange.parse(
        "multipart/related; type=\"application/dicom\"; transfer-syntax=" + JPEG), mixed, false),
        "Imago decompresses on request, never compresses");
    assertEquals(new WadoRs.Plan(WadoRs.Packaging.SINGLE, false), WadoRs.negotiate(MediaRange.parse("application/dicom"),
        List.of(stored(JPEG)), true));
    assertEquals(new WadoRs.Plan(WadoRs.Packaging.SINGLE, true), WadoRs.negotiate(MediaRange.parse(
        "application/dicom; transfer-syntax=" + EXPLICIT), List.of(stored(JPEG)), true));
    assertNull(WadoRs.negotiate(MediaRange.parse("application/dicom"), List.of(stored(JPEG)), false));
  }

  @Test
  void framesAreStoredFragmentsOrDecodedPixels() {
    MediaRange any = MediaRange.parse("multipart/related; type=\"application/octet-stream\"; transfer-syntax=*").get(0);
    MediaRange plain = MediaRange.parse("multipart/related; type=\"application/octet-stream\"").get(0);
    MediaRange jpeg = MediaRange.parse("multipart/related; type=\"image/jpeg\"").get(0);
    assertEquals(WadoFrames.Mode.STORED, WadoFrames.mode(any, true, "image/jpeg", JPEG, false));
    assertEquals(WadoFrames.Mode.DECODED, WadoFrames.mode(plain, true, "image/jpeg", JPEG, false));
    assertEquals(WadoFrames.Mode.STORED, WadoFrames.mode(jpeg, true, "image/jpeg", JPEG, false));
    assertNull(WadoFrames.mode(jpeg, true, "application/octet-stream", EXPLICIT, false));
    assertEquals(WadoFrames.Mode.STORED, WadoFrames.mode(plain, true, "application/octet-stream", EXPLICIT, false));
    assertEquals(WadoFrames.Mode.STORED, WadoFrames.mode(MediaRange.parse("image/jpeg").get(0), true, "image/jpeg", JPEG, true),
        "a single-part answer for one frame");
    assertNull(WadoFrames.mode(MediaRange.parse("image/jpeg").get(0), true, "image/jpeg", JPEG, false));
  }

  @Test
  void byteRangesFollowRfc9110() {
    assertArrayEquals(new long[] {0, 100}, BodySender.range("bytes=0-99", 1000));
    assertArrayEquals(new long[] {900, 1000}, BodySender.range("bytes=900-", 1000));
    assertArrayEquals(new long[] {990, 1000}, BodySender.range("bytes=-10", 1000));
    assertArrayEquals(new long[] {500, 1000}, BodySender.range("bytes=500-5000", 1000));
    assertEquals(0, BodySender.range("bytes=1000-", 1000).length, "unsatisfiable");
    assertNull(BodySender.range("bytes=0-1,5-6", 1000), "several ranges: the whole body instead");
    assertNull(BodySender.range("items=0-1", 1000));
  }

  @Test
  void aBodySlicesAcrossItsSegments() {
    Body body = Body.of(List.of(Body.Literal.of("head"), new Body.Stored("k", 100, 50), Body.Literal.of("tail")));
    assertEquals(58, body.length());
    Body mid = body.slice(2, 56);
    assertEquals(54, mid.length());
    assertEquals(new Body.Stored("k", 100, 50), mid.segments().get(1));
    Body inside = body.slice(10, 20);
    assertEquals(List.of(new Body.Stored("k", 106, 10)), inside.segments());
  }
}
