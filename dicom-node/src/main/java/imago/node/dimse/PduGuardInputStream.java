package imago.node.dimse;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Watches the PDU stream (PS3.8 §9.3) as PixelMed reads it and refuses any PDU header that lies:
 * an unknown type, a P-DATA-TF longer than the maximum we advertised, a release or abort PDU of
 * the wrong length, a PDV that does not fit in its P-DATA-TF. PixelMed allocates a PDU's declared
 * length before reading it, and each PDV's declared length once it has the PDU, so these checks
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
  /** In a P-DATA-TF's body: bytes of the current PDV still to pass, and how much of the next PDV's length is read. */
  private boolean pData;
  private long pdvLeft;
  private int pdvHeaderFill;
  private long pdvLength;
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
        refuse(() -> remaining = check());
        pData = header[0] == 0x04;
      }
      return n;
    }
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n > 0) {
      if (pData) refuse(() -> checkPdvs(b, off, n));
      remaining -= n;
    }
    return n;
  }

  private interface Check {
    void run() throws InvalidPduException;
  }

  private void refuse(Check check) throws InvalidPduException {
    try {
      check.run();
    } catch (InvalidPduException e) {
      violation = e.getMessage();
      onViolation.accept(violation);
      throw e;
    }
  }

  /**
   * Follows the PDV items (PS3.8 §9.3.5.1: a 4-byte length, then context id, control header and
   * value) through {@code n} body bytes: each must be at least 2 bytes and end within its PDU.
   */
  private void checkPdvs(byte[] b, int off, int n) throws InvalidPduException {
    int i = 0;
    while (i < n) {
      if (pdvLeft > 0) {
        int skip = (int) Math.min(pdvLeft, n - i);
        pdvLeft -= skip;
        i += skip;
        continue;
      }
      pdvLength = (pdvLength << 8) | (b[off + i++] & 0xFF);
      if (++pdvHeaderFill < 4) continue;
      long after = remaining - i; // bytes of the PDU after this length field
      if (pdvLength < 2 || pdvLength > after) {
        throw new InvalidPduException("PDV declares " + pdvLength + " bytes, its P-DATA-TF holds " + after + " more");
      }
      pdvLeft = pdvLength;
      pdvHeaderFill = 0;
      pdvLength = 0;
    }
    if (remaining == n && pdvHeaderFill > 0) throw new InvalidPduException("P-DATA-TF ends inside a PDV's length");
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
