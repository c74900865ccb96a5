package imago.core.multipart;

import java.io.IOException;
import java.util.Map;

/**
 * Receives the body parts of a {@code multipart/related} entity as {@link MultipartRelatedParser}
 * finds them: {@code partStarted}, any number of {@code partData}, {@code partEnded}, per part.
 * An exception thrown here stops the parser, which then refuses further input.
 */
public interface PartListener {
  /** A part's header section is complete; names are lower-cased, values trimmed. */
  void partStarted(Map<String, String> headers) throws IOException;

  /**
   * The next run of body bytes. The array belongs to the caller: read it during the call, never
   * keep or modify it.
   */
  void partData(byte[] b, int off, int len) throws IOException;

  /** The delimiter after the part's body was seen: no more bytes follow for this part. */
  void partEnded() throws IOException;
}
