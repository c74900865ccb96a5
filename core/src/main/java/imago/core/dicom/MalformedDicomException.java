package imago.core.dicom;

/** Input that is not the DICOM it claims to be; carries the status to answer with. */
public class MalformedDicomException extends Exception {
  private final int status;

  public MalformedDicomException(int status, String message) {
    super(message);
    this.status = status;
  }

  public MalformedDicomException(String message) {
    this(DicomStatus.CANNOT_UNDERSTAND, message);
  }

  public int status() {
    return status;
  }
}
