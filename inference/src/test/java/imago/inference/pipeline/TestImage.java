package imago.inference.pipeline;

import com.pixelmed.dicom.Attribute;
import com.github.jaiimageio.jpeg2000.J2KImageWriteParam;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UnsignedShortAttribute;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferUShort;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * A grayscale CR image built with PixelMed for decoder tests: 16 bits allocated, {@code frames}
 * row-major, written as a PS3.10 file in any transfer syntax PixelMed writes (Explicit and
 * Implicit VR Little Endian, Deflated) or as JPEG 2000.
 *
 * @param rescale null for no Rescale Slope/Intercept, else {slope, intercept}
 */
record TestImage(String sopInstanceUid, int rows, int columns, int bitsStored, boolean signed, String photometric,
    double[] rescale, short[]... frames) {

  static final String SERIES_UID = "2.25.4711";

  /** A MONOCHROME2, unsigned, 12-bit single-frame image without rescale attributes. */
  static TestImage cr12(String sopInstanceUid, int rows, int columns, short[] pixels) {
    return new TestImage(sopInstanceUid, rows, columns, 12, false, "MONOCHROME2", null, pixels);
  }

  TestImage withRescale(double slope, double intercept) {
    return new TestImage(sopInstanceUid, rows, columns, bitsStored, signed, photometric,
        new double[] {slope, intercept}, frames);
  }

  AttributeList attributes() throws DicomException {
    AttributeList list = new AttributeList();
    text(list, TagFromName.SOPClassUID, SOPClass.ComputedRadiographyImageStorage);
    text(list, TagFromName.SOPInstanceUID, sopInstanceUid);
    text(list, TagFromName.StudyInstanceUID, "2.25.4710");
    text(list, TagFromName.SeriesInstanceUID, SERIES_UID);
    text(list, TagFromName.Modality, "CR");
    text(list, TagFromName.PhotometricInterpretation, photometric);
    number(list, TagFromName.SamplesPerPixel, 1);
    number(list, TagFromName.Rows, rows);
    number(list, TagFromName.Columns, columns);
    number(list, TagFromName.BitsAllocated, 16);
    number(list, TagFromName.BitsStored, bitsStored);
    number(list, TagFromName.HighBit, bitsStored - 1);
    number(list, TagFromName.PixelRepresentation, signed ? 1 : 0);
    if (frames.length > 1) {
      text(list, TagFromName.NumberOfFrames, Integer.toString(frames.length));
    }
    if (rescale != null) {
      text(list, TagFromName.RescaleSlope, Double.toString(rescale[0]));
      text(list, TagFromName.RescaleIntercept, Double.toString(rescale[1]));
      text(list, TagFromName.RescaleType, "US");
    }
    short[] all = new short[rows * columns * frames.length];
    for (int f = 0; f < frames.length; f++) {
      System.arraycopy(frames[f], 0, all, f * rows * columns, rows * columns);
    }
    Attribute pixelData = new OtherWordAttribute(TagFromName.PixelData);
    pixelData.setValues(all);
    list.put(pixelData);
    return list;
  }

  /** Writes the image as a PS3.10 file in {@code transferSyntax}. */
  Path write(Path file, String transferSyntax) throws DicomException, IOException {
    AttributeList list = attributes();
    FileMetaInformation.addFileMetaInformation(list, transferSyntax, "IMAGOTEST");
    list.write(file.toFile(), transferSyntax, true, true);
    return file;
  }

  /**
   * Writes a single-frame image as JPEG 2000 (Lossless Only), which neither PixelMed nor this
   * dcmtk writes: jai-imageio's encoder makes the code stream, PixelMed encapsulates it (PS3.5 A.4).
   */
  Path writeJpeg2000Lossless(Path file) throws DicomException, IOException {
    BufferedImage gray = new BufferedImage(columns, rows, BufferedImage.TYPE_USHORT_GRAY);
    short[] target = ((DataBufferUShort) gray.getRaster().getDataBuffer()).getData();
    System.arraycopy(frames[0], 0, target, 0, target.length);
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg2000").next();
    J2KImageWriteParam param = (J2KImageWriteParam) writer.getDefaultWriteParam();
    param.setLossless(true);
    param.setWriteCodeStreamOnly(true);
    ByteArrayOutputStream codeStream = new ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(codeStream)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(gray, null, null), param);
    } finally {
      writer.dispose();
    }
    byte[] fragment = codeStream.toByteArray();
    fragment = Arrays.copyOf(fragment, fragment.length + fragment.length % 2); // items have even length
    AttributeList list = attributes();
    list.put(new OtherByteAttributeMultipleCompressedFrames(TagFromName.PixelData, fragment));
    FileMetaInformation.addFileMetaInformation(list, TransferSyntax.JPEG2000Lossless, "IMAGOTEST");
    list.write(file.toFile(), TransferSyntax.JPEG2000Lossless, true, true);
    return file;
  }

  /** Decodes the image written in Explicit VR Little Endian, without touching the disk. */
  DecodedImage decoded() throws Exception {
    AttributeList list = attributes();
    FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "IMAGOTEST");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    list.write(bytes, TransferSyntax.ExplicitVRLittleEndian, true, true);
    return new PixelMedDecoder().decode(new ByteArrayInputStream(bytes.toByteArray()));
  }

  private static void text(AttributeList list, AttributeTag tag, String value) throws DicomException {
    Attribute attribute = AttributeFactory.newAttribute(tag);
    attribute.addValue(value);
    list.put(attribute);
  }

  private static void number(AttributeList list, AttributeTag tag, int value) throws DicomException {
    Attribute attribute = new UnsignedShortAttribute(tag);
    attribute.addValue(value);
    list.put(attribute);
  }
}
