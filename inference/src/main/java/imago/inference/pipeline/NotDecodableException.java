package imago.inference.pipeline;

/**
 * An instance whose pixels cannot be decoded for inference: a transfer syntax no installed codec
 * reads (JPEG-LS, 12-bit lossy JPEG), pixel data that is missing, truncated or corrupt, or an
 * image this pipeline does not take (colour). Such instances are stored as received and marked
 * "not decodable"; the message names the transfer syntax and what is wrong.
 */
public final class NotDecodableException extends Exception {

  private final String transferSyntaxUid;

  /**
   * @param transferSyntaxUid the instance's Transfer Syntax UID (0002,0010), or null if unknown
   * @param reason what is wrong, in a sentence
   */
  public NotDecodableException(String transferSyntaxUid, String reason) {
    this(transferSyntaxUid, reason, null);
  }

  public NotDecodableException(String transferSyntaxUid, String reason, Throwable cause) {
    super(TransferSyntaxNames.describe(transferSyntaxUid) + ": " + reason, cause);
    this.transferSyntaxUid = transferSyntaxUid;
  }

  /** The Transfer Syntax UID the instance was encoded in, or null if the file did not say. */
  public String transferSyntaxUid() {
    return transferSyntaxUid;
  }
}
