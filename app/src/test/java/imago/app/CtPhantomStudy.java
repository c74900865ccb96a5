package imago.app;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import imago.core.dicom.Uids;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An axial chest CT series made of the nodule segmenter's held-out volume (models/reference,
 * nodule-seg-torchscript/ct-raw/): the stored pixels Python's reference output was computed from,
 * one CT image per slice, positioned in one frame of reference (5 mm pixels and slices), so the
 * segmenter's SEG can be compared with Python's and drawn over the CT by a viewer.
 */
final class CtPhantomStudy {
  static final String MODEL = "nodule-seg-torchscript";

  final String studyUid = Uids.random();
  final String seriesUid = Uids.random();
  final List<String> sopInstanceUids = new ArrayList<>();
  final List<Path> files = new ArrayList<>();
  /** volume.json: geometry and the nodule's facts (radiusMm, centreRow, centreColumn, maskVoxels). */
  JsonObject volume;

  /** Writes the series under {@code dir}; slice k (0 the most superior) is instance k + 1. */
  static CtPhantomStudy write(Path dir, String patientId) throws IOException, DicomException {
    CtPhantomStudy study = new CtPhantomStudy();
    Path raw = ReferenceModels.model(MODEL).resolve("ct-raw");
    JsonObject meta = new JsonObject(Files.readString(raw.resolve("volume.json")));
    study.volume = meta;
    JsonArray slices = meta.getJsonArray("slices");
    int rows = meta.getInteger("rows");
    int columns = meta.getInteger("columns");
    double spacing = meta.getDouble("pixelSpacingMm");
    String frameOfReference = Uids.random();
    Files.createDirectories(dir);
    for (int k = 0; k < slices.size(); k++) {
      JsonObject slice = slices.getJsonObject(k);
      String sop = Uids.random();
      AttributeList list = new AttributeList();
      PhantomStudy.text(list, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.2"); // CT Image Storage
      PhantomStudy.text(list, TagFromName.SOPInstanceUID, sop);
      PhantomStudy.header(list, patientId, study.studyUid, study.seriesUid, "CT");
      PhantomStudy.text(list, TagFromName.FrameOfReferenceUID, frameOfReference);
      PhantomStudy.text(list, TagFromName.PositionReferenceIndicator, "");
      PhantomStudy.text(list, TagFromName.StudyDescription, "CT chest");
      PhantomStudy.text(list, TagFromName.SeriesDescription, "Chest axial 5 mm");
      PhantomStudy.text(list, TagFromName.InstanceNumber, Integer.toString(k + 1));
      PhantomStudy.text(list, TagFromName.ImageType, "ORIGINAL\\PRIMARY\\AXIAL");
      PhantomStudy.text(list, new AttributeTag(0x0018, 0x0060), ""); // KVP, type 2
      PhantomStudy.text(list, TagFromName.AcquisitionNumber, "1");
      // the volume is centred on the isocentre; rows run anterior to posterior, columns right to left
      double corner = -(columns * spacing) / 2 + spacing / 2;
      double z = slice.getDouble("zMm");
      PhantomStudy.text(list, TagFromName.ImagePositionPatient, decimal(corner) + "\\" + decimal(-(rows * spacing) / 2 + spacing / 2)
          + "\\" + decimal(z));
      PhantomStudy.text(list, TagFromName.ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
      PhantomStudy.text(list, TagFromName.SliceLocation, decimal(z));
      PhantomStudy.text(list, TagFromName.PixelSpacing, decimal(spacing) + "\\" + decimal(spacing));
      PhantomStudy.text(list, TagFromName.SliceThickness, decimal(meta.getDouble("sliceThicknessMm")));
      PhantomStudy.text(list, TagFromName.RescaleIntercept, Integer.toString(meta.getInteger("rescaleIntercept")));
      PhantomStudy.text(list, TagFromName.RescaleSlope, Integer.toString(meta.getInteger("rescaleSlope")));
      PhantomStudy.text(list, TagFromName.RescaleType, "HU");
      PhantomStudy.text(list, TagFromName.WindowCenter, "-600");
      PhantomStudy.text(list, TagFromName.WindowWidth, "1600");
      Path file = PhantomStudy.writeImage(list, meta, raw.resolve(slice.getString("pixels")),
          dir.resolve("slice-" + k + ".dcm"));
      study.sopInstanceUids.add(sop);
      study.files.add(file);
    }
    return study;
  }

  /** Voxels of one slice and one voxel's volume in mm³. */
  double voxelMm3() {
    double s = volume.getDouble("pixelSpacingMm");
    return s * s * volume.getDouble("sliceThicknessMm");
  }

  private static String decimal(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }
}
