package imago.inference.results;

import imago.inference.manifest.Manifest.Code;

/** The coded concepts the result writers use, each with where the standard defines it. */
final class Codes {
  // PS3.16 CID 7005 Contributing Equipment Purpose of Reference: the model processed the
  // source images to create a new instance ("Processing Equipment"), it did not acquire or
  // modify them.
  static final Code PROCESSING_EQUIPMENT = dcm("109102", "Processing Equipment");

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
  static final Code IMAGE_REGION = dcm("111030", "Image Region");
  // TID 300 row 1: the model's output as a measurement. CID 6048 (CAD Operating Point Axis
  // Label) "Certainty of Finding" is the standard concept for how likely an algorithm judges a
  // finding to be true.
  static final Code CERTAINTY_OF_FINDING = dcm("111012", "Certainty of Finding");
  // CID 7181: a probability is dimensionless
  static final Code NO_UNITS = new Code("UCUM", "1", "no units");
  // TID 4019 Algorithm Identification, included by TID 300
  static final Code ALGORITHM_NAME = dcm("111001", "Algorithm Name");
  static final Code ALGORITHM_VERSION = dcm("111003", "Algorithm Version");
  // TID 320 Image or Spatial Coordinates: the images the finding was inferred from
  static final Code SOURCE_OF_MEASUREMENT = dcm("121112", "Source of Measurement");
  // CID 241 Present/Absent Only, the value of a TID 1501 qualitative evaluation named by the finding
  static final Code PRESENT = new Code("SCT", "52101004", "Present");
  static final Code ABSENT = new Code("SCT", "272519000", "Absent");

  // PS3.16 CID 100 Quantitative Diagnostic Imaging Procedures: the generic entry, used when the
  // source gives no Procedure Code Sequence
  static final Code IMAGING_PROCEDURE = new Code("SCT", "363679005", "Imaging procedure");

  // SEG: CID 7203 Image Derivation, CID 7202 Source Image Purpose of Reference
  static final Code SEGMENTATION = dcm("113076", "Segmentation");
  static final Code SOURCE_IMAGE_FOR_PROCESSING = dcm("121322", "Source image for image processing operation");

  private Codes() {}

  private static Code dcm(String value, String meaning) {
    return new Code("DCM", value, meaning);
  }
}
