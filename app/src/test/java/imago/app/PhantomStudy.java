package imago.app;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import imago.core.dicom.Uids;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CR study made of the reference models' held-out phantoms (models/reference, phantom-raw/): the
 * stored pixels the Python reference outputs were computed from, one instance per phantom, so a
 * model's result on the stored study can be compared with Python's.
 */
final class PhantomStudy {
  final String studyUid = Uids.random();
  final String seriesUid = Uids.random();
  final List<String> sopInstanceUids = new ArrayList<>();
  final List<Path> files = new ArrayList<>();

  /** Writes the study's files under {@code dir}; phantom k is instance k + 1. */
  static PhantomStudy write(Path dir, String patientId) throws IOException, DicomException {
    PhantomStudy study = new PhantomStudy();
    Path raw = ReferenceModels.model("lesion-cls-torchscript").resolve("phantom-raw");
    JsonObject meta = new JsonObject(Files.readString(raw.resolve("phantoms.json")));
    JsonArray images = meta.getJsonArray("images");
    Files.createDirectories(dir);
    for (int k = 0; k < images.size(); k++) {
      String sop = Uids.random();
      AttributeList list = new AttributeList();
      text(list, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1"); // CR Image Storage
      text(list, TagFromName.SOPInstanceUID, sop);
      header(list, patientId, study.studyUid, study.seriesUid, "CR");
      text(list, TagFromName.InstanceNumber, Integer.toString(k + 1));
      text(list, TagFromName.PatientOrientation, "L\\F");
      text(list, TagFromName.ImagerPixelSpacing, "0.5\\0.5");
      Path file = writeImage(list, meta, raw.resolve(images.getJsonObject(k).getString("pixels")),
          dir.resolve("phantom-" + k + ".dcm"));
      study.sopInstanceUids.add(sop);
      study.files.add(file);
    }
    return study;
  }

  /**
   * Adds the Image Pixel module {@code meta} describes (models/reference: rows, columns, bits,
   * photometric interpretation) and the 16-bit little-endian pixels of {@code pixels} to
   * {@code list}, and writes it to {@code file} in explicit VR little endian; returns the file.
   */
  static Path writeImage(AttributeList list, JsonObject meta, Path pixels, Path file) throws IOException, DicomException {
    byte[] le = Files.readAllBytes(pixels);
    short[] words = new short[le.length / 2];
    ByteBuffer.wrap(le).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(words);
    text(list, TagFromName.PhotometricInterpretation, meta.getString("photometricInterpretation"));
    number(list, TagFromName.Rows, meta.getInteger("rows"));
    number(list, TagFromName.Columns, meta.getInteger("columns"));
    number(list, TagFromName.SamplesPerPixel, 1);
    number(list, TagFromName.BitsAllocated, meta.getInteger("bitsAllocated"));
    number(list, TagFromName.BitsStored, meta.getInteger("bitsStored"));
    number(list, TagFromName.HighBit, meta.getInteger("highBit"));
    number(list, TagFromName.PixelRepresentation, meta.getInteger("pixelRepresentation"));
    Attribute pixelData = new OtherWordAttribute(TagFromName.PixelData);
    pixelData.setValues(words);
    list.put(pixelData);
    FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "IMAGOTEST");
    list.write(file.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
    return file;
  }

  /**
   * Patient, study and series attributes every phantom instance carries: a made-up patient named
   * after {@code patientId}, a chest study of 1 December 2026, series 1 of {@code modality}.
   */
  static void header(AttributeList list, String patientId, String studyUid, String seriesUid, String modality)
      throws DicomException {
    text(list, TagFromName.StudyInstanceUID, studyUid);
    text(list, TagFromName.SeriesInstanceUID, seriesUid);
    text(list, TagFromName.PatientName, "Phantom^" + patientId);
    text(list, TagFromName.PatientID, patientId);
    text(list, TagFromName.PatientBirthDate, "19700101");
    text(list, TagFromName.PatientSex, "O");
    text(list, TagFromName.StudyDate, "20261201");
    text(list, TagFromName.StudyTime, "101500");
    text(list, TagFromName.StudyID, "1");
    text(list, TagFromName.AccessionNumber, "ACC" + patientId);
    text(list, TagFromName.ReferringPhysicianName, "");
    text(list, TagFromName.Modality, modality);
    text(list, TagFromName.SeriesNumber, "1");
    text(list, TagFromName.BodyPartExamined, "CHEST");
    text(list, TagFromName.Manufacturer, "Imago test phantoms");
  }

  /** Puts {@code tag} with {@code value}; an empty value puts it without one (a Type 2 attribute left empty). */
  static void text(AttributeList list, AttributeTag tag, String value) throws DicomException {
    Attribute a = com.pixelmed.dicom.AttributeFactory.newAttribute(tag);
    if (!value.isEmpty()) a.addValue(value);
    list.put(a);
  }

  static void number(AttributeList list, AttributeTag tag, int value) throws DicomException {
    Attribute a = com.pixelmed.dicom.AttributeFactory.newAttribute(tag);
    a.addValue(value);
    list.put(a);
  }
}
