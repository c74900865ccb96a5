package imago.core.dicom;

/**
 * DIMSE status codes Imago answers with (PS3.4 Annex B.2.3, PS3.7 Annex C), also used as STOW-RS
 * FailureReason (PS3.18 §10.5.3). Each failure carries a human-readable comment beside it.
 */
public final class DicomStatus {
  public static final int SUCCESS = 0x0000;
  /** PS3.7 C.5.9: the SOP Instance already exists (here: with other content). */
  public static final int DUPLICATE_SOP_INSTANCE = 0x0111;
  /** PS3.7 C.5: processing failure (an unexpected error on our side). */
  public static final int PROCESSING_FAILURE = 0x0110;
  /** PS3.4 B.2.3: Refused, out of resources (storage or index unavailable). */
  public static final int OUT_OF_RESOURCES = 0xA700;
  /** Refused, out of resources: the object is larger than we accept. */
  public static final int OUT_OF_RESOURCES_TOO_LARGE = 0xA701;
  /** PS3.4 B.2.3: Error, Data Set does not match SOP Class. */
  public static final int DATASET_DOES_NOT_MATCH_SOP_CLASS = 0xA900;
  /** PS3.4 B.2.3: Error, cannot understand (malformed or truncated encoding). */
  public static final int CANNOT_UNDERSTAND = 0xC000;
  /** Cannot understand: a mandatory UID is missing or malformed. */
  public static final int CANNOT_UNDERSTAND_UID = 0xC001;
  /** Cannot understand: the data set's SOP Instance UID differs from the command's. */
  public static final int CANNOT_UNDERSTAND_INSTANCE_MISMATCH = 0xC002;
  /** Cannot understand: the instance belongs to another study than the request names. */
  public static final int CANNOT_UNDERSTAND_WRONG_STUDY = 0xC003;
  /** PS3.18 §10.5.3: Referenced Transfer Syntax not supported. */
  public static final int TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122;

  private DicomStatus() {}

  public static String hex(int status) {
    return String.format("0x%04X", status);
  }
}
