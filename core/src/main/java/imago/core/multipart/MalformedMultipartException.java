package imago.core.multipart;

import java.io.IOException;

/**
 * The request body is not the {@code multipart/related} entity it claims to be (RFC 2046 §5.1):
 * the sender's fault, answered with 400 Bad Request. An {@link IOException} so that it travels
 * the same path as a failing network read.
 */
public class MalformedMultipartException extends IOException {
  public MalformedMultipartException(String message) {
    super(message);
  }
}
