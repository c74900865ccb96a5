package imago.node.dimse;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Watches the PDU stream (PS3.8 §9.3) as PixelMed reads it and refuses any PDU header that lies:
 * an unknown type, a P-DATA-TF longer than the maximum we advertised, a release or abort PDU of
 * the wrong length. PixelMed allocates a PDU's declared length before reading it, so this check
 * must happen first: a header claiming 2 GB would otherwise exhaust the heap.
 */
final class PduGuardInputStream extends FilterInputStream {
  /** A PDU header Imago refuses; the association is aborted. */
  static final class InvalidPduException extends IOException {
    InvalidPduException(String message) {
      super(message);
    }
  }

  private final long maxPDataLength;
  private final byte[] header = new byte[6];
  private int headerFill;
  private long remaining;
  private volatile String violation;

  private final java.util.function.Consumer<String> onViolation;

  /** {@code onViolation} runs before the exception reaches PixelMed (which closes the socket). */
  PduGuardInputStream(InputStream in, long maxPDataLength, java.util.function.Consumer<String> onViolation) {
    super(in);
    this.maxPDataLength = maxPDataLength;
    this.onViolation = onViolation;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (remaining == 0) {
      // In a header: hand out header bytes only, so the check runs before the caller sees them all.
      int n = in.read(b, off, Math.min(len, 6 - headerFill));
      if (n < 0) return n;
      System.arraycopy(b, off, header, headerFill, n);
      headerFill += n;
      if (headerFill == 6) {
        headerFill = 0;
        try {
          remaining = check();
        } catch (InvalidPduException e) {
          violation = e.getMessage();
          onViolation.accept(violation);
          throw e;
        }
      }
      return n;
    }
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n > 0) remaining -= n;
    return n;
  }

  /** Why the stream was refused, or null; PixelMed reports the failure without its cause. */
  String violation() {
    return violation;
  }

  private long check() throws InvalidPduException {
    int type = header[0] & 0xFF;
    long length = ((header[2] & 0xFFL) << 24) | ((header[3] & 0xFFL) << 16) | ((header[4] & 0xFFL) << 8) | (header[5] & 0xFFL);
    switch (type) {
      case 0x04 -> {
        // P-DATA-TF: the maximum length applies to the PDU's variable field (PS3.8 D.1)
        if (length > maxPDataLength) {
          throw new InvalidPduException("P-DATA-TF declares " + length + " bytes, above the negotiated maximum " + maxPDataLength);
        }
        if (length < 6) throw new InvalidPduException("P-DATA-TF declares " + length + " bytes, too short for a PDV");
      }
      case 0x05, 0x06, 0x07 -> {
        if (length != 4) throw new InvalidPduException(String.format("PDU type 0x%02X declares %d bytes, expected 4", type, length));
      }
      default -> throw new InvalidPduException(String.format("unexpected PDU type 0x%02X on an established association", type));
    }
    return length;
  }
}
