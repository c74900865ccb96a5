package imago.core.dicom.codec;

/** A frame the codec helper could not decode: its codestream, its format, or the helper itself failed. */
public final class CodecException extends Exception {
  public CodecException(String message) {
    super(message);
  }

  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
