package imago.node.dicomweb.wado;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.PixelLimits;
import imago.core.dicom.Uids;
import imago.core.dicom.codec.CodecException;
import imago.core.dicom.codec.NativeCodec;
import imago.core.dicom.codec.NativeDecompression;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Rewrites a stored PS3.10 object in Explicit VR Little Endian, its pixels decompressed (PixelMed
 * while it reads; GDCM in the codec helpers for what PixelMed has no reader for or fails on), for
 * a WADO-RS client that asks for that syntax (PS3.18 §8.7.3.5). The stored object stays as it
 * was received; only the answer is transcoded. A lossy original keeps saying so: Lossy Image
 * Compression (0028,2110) is 01 in the answer.
 */
final class Transcoder {
  private Transcoder() {}

  static final String TARGET = Uids.EXPLICIT_VR_LITTLE_ENDIAN;

  /** Syntaxes whose pixels are an approximation of the original's (PS3.5 §8.2, §A.4). */
  private static final Set<String> LOSSY = Set.of("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
      "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93");

  /** The object in {@link #TARGET}. */
  static byte[] toExplicitLittleEndian(byte[] part10, String storedSyntax, PixelLayout layout)
      throws FrameDecoder.UndecodableException {
    if (layout.hasPixelData()) {
      Optional<String> refused = PixelLimits.refuse(layout.rows(), layout.columns(), layout.samplesPerPixel(),
          layout.numberOfFrames());
      if (refused.isPresent()) throw new FrameDecoder.UndecodableException("not transcoded: " + refused.get(), null);
    }
    try {
      AttributeList list = NativeDecompression.readNative(part10, storedSyntax, NativeCodec.shared());
      list.correctDecompressedImagePixelModule(); // colour PixelMed turned from YBR to RGB says so
      if (layout.hasPixelData() && LOSSY.contains(storedSyntax)) {
        Attribute lossy = new CodeStringAttribute(TagFromName.LossyImageCompression);
        lossy.addValue("01");
        list.put(lossy);
      }
      String sourceAe = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.SourceApplicationEntityTitle);
      list.removeGroupLengthAttributes();
      list.removeMetaInformationHeaderAttributes();
      FileMetaInformation.addFileMetaInformation(list, TARGET, sourceAe.isEmpty() ? "IMAGO" : sourceAe);
      ByteArrayOutputStream out = new ByteArrayOutputStream(part10.length * 2);
      list.write(out, TARGET, true, true); // preamble, DICM, File Meta Information, data set
      return out.toByteArray();
    } catch (CodecException e) {
      throw new FrameDecoder.UndecodableException("cannot transcode " + storedSyntax + " with GDCM: " + e.getMessage(), e);
    } catch (IOException | DicomException | RuntimeException e) {
      throw new FrameDecoder.UndecodableException("cannot transcode " + storedSyntax + ": " + e.getMessage(), e);
    }
  }
}
