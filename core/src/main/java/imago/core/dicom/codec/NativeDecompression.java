package imago.core.dicom.codec;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;
import imago.core.dicom.Uids;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Turns the encapsulated Pixel Data of a data set that {@link NativeCodec} handles into native
 * pixels, in place, so that everything downstream (PixelMed's SourceImage, Imago's own readers)
 * sees an ordinary Explicit VR Little Endian image. The list must have been read with
 * {@code setDecompressPixelData(false)}: PixelMed then keeps each frame's codestream.
 */
public final class NativeDecompression {
  private NativeDecompression() {}

  /** Whether a data set of this transfer syntax must be read undecompressed and passed to {@link #decompress}. */
  public static boolean needed(String transferSyntax) {
    return NativeCodec.handles(transferSyntax);
  }

  /** Whether a data set PixelMed failed to decompress may be read again undecompressed and passed to {@link #decompress}. */
  public static boolean fallback(String transferSyntax) {
    return !needed(transferSyntax) && NativeCodec.decodes(transferSyntax);
  }

  /**
   * Reads a PS3.10 object with its pixels native: PixelMed decompresses while it reads, except the
   * syntaxes it has no reader for, which GDCM decodes; and GDCM again where PixelMed fails on an
   * encapsulated syntax GDCM decodes. The one routing inference and WADO transcoding share.
   *
   * @param syntax the object's transfer syntax, as its File Meta Information names it
   * @throws CodecException GDCM could not decode it (after PixelMed failed: the message says what each said)
   * @throws IOException PixelMed could not read it and GDCM is no fallback for its syntax
   * @throws DicomException likewise
   */
  public static AttributeList readNative(byte[] part10, String syntax, NativeCodec codec)
      throws IOException, DicomException, CodecException {
    if (needed(syntax)) return byGdcm(part10, codec);
    try {
      return parse(part10, true);
    } catch (IOException | DicomException | RuntimeException e) {
      if (!fallback(syntax)) throw e;
      try {
        return byGdcm(part10, codec);
      } catch (CodecException | IOException | DicomException | RuntimeException again) {
        throw new CodecException("PixelMed: " + e.getMessage() + "; GDCM: " + again.getMessage(), again);
      }
    }
  }

  private static AttributeList byGdcm(byte[] part10, NativeCodec codec) throws IOException, DicomException, CodecException {
    AttributeList list = parse(part10, false);
    if (!decompress(list, codec)) throw new CodecException("no encapsulated Pixel Data for GDCM to decode");
    return list;
  }

  /** The data set, its pixels decompressed by PixelMed while it reads ({@code decompress}) or left encapsulated. */
  public static AttributeList parse(byte[] part10, boolean decompress) throws IOException, DicomException {
    AttributeList list = new AttributeList();
    list.setDecompressPixelData(decompress);
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
      list.read(in);
    }
    return list;
  }

  /** Every frame of a data set decoded, one after the other: native little-endian samples and their layout. */
  public record Pixels(byte[] bytes, FrameFormat format, int frames, String photometric, int planarConfiguration) {}

  /**
   * Decodes every frame of {@code list} when GDCM decodes its syntax and PixelMed left it
   * encapsulated; null otherwise. {@code list} is left as it was.
   */
  public static Pixels decode(AttributeList list, NativeCodec codec) throws CodecException {
    String ts = Attribute.getSingleStringValueOrNull(list, TagFromName.TransferSyntaxUID);
    if (!NativeCodec.decodes(ts)) return null;
    if (!(list.get(TagFromName.PixelData) instanceof OtherByteAttributeMultipleCompressedFrames compressed)) {
      if (needed(ts)) throw new CodecException("no encapsulated Pixel Data to decode in a " + ts + " data set");
      return null; // PixelMed decompressed it already
    }
    FrameFormat format = new FrameFormat(
        Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0),
        Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0),
        Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1),
        Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 0),
        Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsStored, 0),
        Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PixelRepresentation, 0),
        Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PlanarConfiguration, 0),
        Attribute.getSingleStringValueOrEmptyString(list, TagFromName.PhotometricInterpretation).trim());
    byte[][] frames = compressed.getFrames();
    int declared = Math.max(1, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.NumberOfFrames, 1));
    if (frames == null || frames.length != declared) {
      throw new CodecException("Number of Frames is " + declared + " but the Pixel Data holds "
          + (frames == null ? 0 : frames.length));
    }
    long total = format.frameBytes() * declared;
    if (total > Integer.MAX_VALUE - 64) throw new CodecException("not decoded: " + total + " bytes of pixels");
    byte[] pixels = new byte[(int) total];
    NativeCodec.Frame first = null;
    for (int f = 0; f < frames.length; f++) {
      NativeCodec.Frame frame = codec.decode(ts, format, frames[f]);
      if (first == null) first = frame;
      System.arraycopy(frame.pixels(), 0, pixels, (int) (f * format.frameBytes()), frame.pixels().length);
    }
    return new Pixels(pixels, format, declared, first.photometric(), first.planarConfiguration());
  }

  /**
   * {@link #decode}s {@code list} and replaces its Pixel Data, Transfer Syntax UID, Photometric
   * Interpretation and Planar Configuration with what the decoded frames are.
   *
   * @return whether anything was decoded
   */
  public static boolean decompress(AttributeList list, NativeCodec codec) throws CodecException {
    Pixels decoded = decode(list, codec);
    if (decoded == null) return false;
    replace(list, decoded);
    return true;
  }

  /** Puts {@code decoded} in place of {@code list}'s encapsulated Pixel Data, as native pixels. */
  public static void replace(AttributeList list, Pixels decoded) throws CodecException {
    try {
      list.put(nativePixelData(decoded.format(), decoded.bytes()));
      put(list, new UniqueIdentifierAttribute(TagFromName.TransferSyntaxUID), Uids.EXPLICIT_VR_LITTLE_ENDIAN);
      put(list, new CodeStringAttribute(TagFromName.PhotometricInterpretation), decoded.photometric());
      if (decoded.format().samplesPerPixel() > 1) {
        Attribute planar = new UnsignedShortAttribute(TagFromName.PlanarConfiguration);
        planar.addValue(decoded.planarConfiguration());
        list.put(planar);
      }
    } catch (DicomException e) {
      throw new CodecException("the decoded pixels could not be put back: " + e.getMessage(), e);
    }
  }

  private static Attribute nativePixelData(FrameFormat format, byte[] pixels) throws DicomException {
    if (format.bitsAllocated() == 8) {
      OtherByteAttribute a = new OtherByteAttribute(TagFromName.PixelData);
      a.setValues(pixels);
      return a;
    }
    short[] words = new short[pixels.length / 2];
    java.nio.ByteBuffer.wrap(pixels).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(words);
    OtherWordAttribute a = new OtherWordAttribute(TagFromName.PixelData);
    a.setValues(words);
    return a;
  }

  private static void put(AttributeList list, Attribute a, String value) throws DicomException {
    a.addValue(value);
    list.put(a);
  }
}
