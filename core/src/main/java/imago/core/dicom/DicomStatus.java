package imago.core.dicom;

/**
 * DIMSE status codes Imago answers with (PS3.4 Annex B.2.3, PS3.7 Annex C), also used as STOW-RS
 * FailureReason (PS3.18 §10.5.3). Each failure carries a human-readable comment beside it.
 */
public final class DicomStatus {
  public static final int SUCCESS = 0x0000;
  /** PS3.7 C.5.19: the peer is not allowed to do this (per-AE rights). */
  public static final int NOT_AUTHORIZED = 0x0124;
  /** PS3.7 C.5.9: the SOP Instance already exists (here: with other content). */
  public static final int DUPLICATE_SOP_INSTANCE = 0x0111;
  /** PS3.7 C.5: processing failure (an unexpected error on our side). */
  public static final int PROCESSING_FAILURE = 0x0110;
  /** PS3.4 B.2.3: Refused, out of resources (storage or index unavailable). */
  public static final int OUT_OF_RESOURCES = 0xA700;
  /** Refused, out of resources: the object is larger than we accept. */
  public static final int OUT_OF_RESOURCES_TOO_LARGE = 0xA701;
  /** PS3.4 B.2.3: Error, Data Set (for C-FIND/C-MOVE/C-GET: Identifier) does not match SOP Class. */
  public static final int DATASET_DOES_NOT_MATCH_SOP_CLASS = 0xA900;
  /** PS3.4 B.2.3: Error, cannot understand (malformed or truncated encoding); C-FIND's "unable to process". */
  public static final int CANNOT_UNDERSTAND = 0xC000;
  /** Cannot understand: a mandatory UID is missing or malformed. */
  public static final int CANNOT_UNDERSTAND_UID = 0xC001;
  /** Cannot understand: the data set's SOP Instance UID differs from the command's. */
  public static final int CANNOT_UNDERSTAND_INSTANCE_MISMATCH = 0xC002;
  /** Cannot understand: the instance belongs to another study than the request names. */
  public static final int CANNOT_UNDERSTAND_WRONG_STUDY = 0xC003;
  /** PS3.4 C.4.1.1.4, C.4.2.1.5: pending, a match (C-FIND) or a sub-operation (C-MOVE/C-GET) follows. */
  public static final int PENDING = 0xFF00;
  /** PS3.4 C.4.1.1.4: pending, but some optional keys were not matched, only returned. */
  public static final int PENDING_OPTIONAL_KEYS_NOT_SUPPORTED = 0xFF01;
  /** PS3.4 C.4.2.1.5: cancelled by C-CANCEL-RQ. */
  public static final int CANCEL = 0xFE00;
  /** PS3.4 C.4.2.1.5: sub-operations complete, one or more failures or warnings. */
  public static final int WARNING_SUB_OPERATIONS_FAILED = 0xB000;
  /** PS3.4 C.4.2.1.5 (C-MOVE/C-GET): out of resources, unable to calculate the number of matches. */
  public static final int OUT_OF_RESOURCES_MATCHES = 0xA701;
  /** PS3.4 C.4.2.1.5: out of resources, unable to perform sub-operations. */
  public static final int OUT_OF_RESOURCES_SUB_OPERATIONS = 0xA702;
  /** PS3.4 C.4.2.1.5: move destination unknown. */
  public static final int MOVE_DESTINATION_UNKNOWN = 0xA801;
  /** PS3.18 §10.5.3: Referenced Transfer Syntax not supported. */
  public static final int TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122;

  private DicomStatus() {}

  public static String hex(int status) {
    return String.format("0x%04X", status);
  }
}
