package imago.inference.results;

import imago.inference.manifest.Manifest.Code;

/** The coded concepts the result writers use, each with where the standard defines it. */
final class Codes {
  // IHE RAD AIR (Rev. 1.1) 6.5.3.1: the Contributing Equipment item describing each algorithm has
  // Purpose of Reference (Newcode1, 99IHE, "Processing Algorithm"), the code the supplement gives
  // until DICOM assigns one (PS3.16 CID 7005 has no concept for an algorithm; the nearest is
  // 109102 "Processing Equipment").
  static final Code PROCESSING_ALGORITHM = new Code("99IHE", "Newcode1", "Processing Algorithm");

  // PS3.16 TID 1500 Measurement Report, CID 7021 document title
  static final Code IMAGING_MEASUREMENT_REPORT = dcm("126000", "Imaging Measurement Report");
  // TID 1204 Language of Content Item and Descendants, CID 5000 value
  static final Code LANGUAGE = dcm("121049", "Language of Content Item and Descendants");
  static final Code ENGLISH_US = new Code("RFC5646", "en-US", "English (United States)");
  // TID 1002 Observer Context, TID 1004 Device Observer Identifying Attributes
  static final Code OBSERVER_TYPE = dcm("121005", "Observer Type");
  static final Code DEVICE = dcm("121007", "Device");
  static final Code DEVICE_OBSERVER_UID = dcm("121012", "Device Observer UID");
  static final Code DEVICE_OBSERVER_NAME = dcm("121013", "Device Observer Name");
  static final Code DEVICE_OBSERVER_MANUFACTURER = dcm("121014", "Device Observer Manufacturer");
  static final Code DEVICE_OBSERVER_MODEL_NAME = dcm("121015", "Device Observer Model Name");
  static final Code DEVICE_OBSERVER_SERIAL_NUMBER = dcm("121016", "Device Observer Serial Number");
  // TID 1500 row 4
  static final Code PROCEDURE_REPORTED = dcm("121058", "Procedure reported");
  // TID 1600 Image Library
  static final Code IMAGE_LIBRARY = dcm("111028", "Image Library");
  static final Code IMAGE_LIBRARY_GROUP = dcm("126200", "Image Library Group");
  // TID 1500 row 6, TID 1501 Measurement Group
  static final Code IMAGING_MEASUREMENTS = dcm("126010", "Imaging Measurements");
  static final Code MEASUREMENT_GROUP = dcm("125007", "Measurement Group");
  static final Code TRACKING_IDENTIFIER = dcm("112039", "Tracking Identifier");
  static final Code TRACKING_UID = dcm("112040", "Tracking Unique Identifier");
  static final Code FINDING = dcm("121071", "Finding");
  static final Code FINDING_SITE = new Code("SCT", "363698007", "Finding Site");
  static final Code IMAGE_REGION = dcm("111030", "Image Region");
  static final Code COMMENT = dcm("121106", "Comment");
  // TID 1411 Volumetric ROI Measurements
  static final Code REFERENCED_SEGMENT = dcm("121191", "Referenced Segment");
  static final Code SOURCE_SERIES_FOR_SEGMENTATION = dcm("121232", "Source series for segmentation");
  static final Code VOLUME = new Code("SCT", "118565006", "Volume");
  static final Code AREA = new Code("SCT", "42798000", "Area");
  static final Code DERIVATION = dcm("121401", "Derivation");
  static final Code MAXIMUM = new Code("SCT", "56851009", "Maximum");
  static final Code CUBIC_MM = new Code("UCUM", "mm3", "cubic millimeter");
  static final Code SQUARE_MM = new Code("UCUM", "mm2", "square millimeter");
  // TID 300 row 1: the model's output as a measurement. CID 6048 (CAD Operating Point Axis
  // Label) "Certainty of Finding" is the standard concept for how likely an algorithm judges a
  // finding to be true.
  static final Code CERTAINTY_OF_FINDING = dcm("111012", "Certainty of Finding");
  // CID 7181: a probability is dimensionless
  static final Code NO_UNITS = new Code("UCUM", "1", "no units");
  // TID 4019 Algorithm Identification, included by TID 300
  static final Code ALGORITHM_NAME = dcm("111001", "Algorithm Name");
  static final Code ALGORITHM_VERSION = dcm("111003", "Algorithm Version");
  static final Code ALGORITHM_PARAMETERS = dcm("111002", "Algorithm Parameters");
  // TID 320 Image or Spatial Coordinates: the images the finding was inferred from
  static final Code SOURCE_OF_MEASUREMENT = dcm("121112", "Source of Measurement");
  // CID 241 Present/Absent Only, the value of a TID 1501 qualitative evaluation named by the finding
  static final Code PRESENT = new Code("SCT", "52101004", "Present");
  static final Code ABSENT = new Code("SCT", "272519000", "Absent");

  // PS3.16 CID 100 Quantitative Diagnostic Imaging Procedures: the generic entry, used when the
  // source gives no Procedure Code Sequence
  static final Code IMAGING_PROCEDURE = new Code("SCT", "363679005", "Imaging procedure");

  /**
   * PS3.16 CID 100 procedures by the source's Modality (0008,0060): LOINC's "unspecified body
   * region" ones the group lists for CT, MR, NM and PET; the group's generic one for the others
   * (it has none for radiography, mammography or ultrasound).
   */
  private static final java.util.Map<String, Code> PROCEDURE_BY_MODALITY = java.util.Map.of(
      "CT", new Code("LN", "25045-6", "CT unspecified body region"),
      "MR", new Code("LN", "25056-3", "MRI unspecified body region"),
      "NM", new Code("LN", "49118-3", "NM unspecified body region"),
      "PT", new Code("LN", "44136-0", "PET unspecified body region"));

  static Code procedureOf(String modality) {
    return PROCEDURE_BY_MODALITY.getOrDefault(modality == null ? "" : modality.trim(), IMAGING_PROCEDURE);
  }

  // SEG: CID 7203 Image Derivation, CID 7202 Source Image Purpose of Reference
  static final Code SEGMENTATION = dcm("113076", "Segmentation");
  static final Code SOURCE_IMAGE_FOR_PROCESSING = dcm("121322", "Source image for image processing operation");

  private Codes() {}

  private static Code dcm(String value, String meaning) {
    return new Code("DCM", value, meaning);
  }
}
