package imago.core.dicom.codec;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The codec helper's pipe protocol, one request and one answer at a time. A request: the transfer
 * syntax, the {@link FrameFormat} and the codestream. An answer: {@link #OK}, the decoded
 * frame's photometric interpretation, planar configuration and bytes; or {@link #FAILED} and why.
 */
final class CodecProtocol {
  private CodecProtocol() {}

  static final int HELLO = 0x494d4344; // "IMCD", written once by the helper when GDCM has loaded
  static final byte OK = 0;
  static final byte FAILED = 1;
  /** The largest codestream or frame either side accepts (PixelLimits caps frames far below this). */
  static final int MAX_BYTES = Integer.MAX_VALUE - 64;

  record Request(String transferSyntax, FrameFormat format, byte[] codestream) {}

  static void write(DataOutputStream out, Request r) throws IOException {
    FrameFormat f = r.format();
    out.writeUTF(r.transferSyntax());
    out.writeInt(f.rows());
    out.writeInt(f.columns());
    out.writeInt(f.samplesPerPixel());
    out.writeInt(f.bitsAllocated());
    out.writeInt(f.bitsStored());
    out.writeInt(f.pixelRepresentation());
    out.writeInt(f.planarConfiguration());
    out.writeUTF(f.photometric());
    out.writeInt(r.codestream().length);
    out.write(r.codestream());
    out.flush();
  }

  static Request read(DataInputStream in) throws IOException {
    String ts = in.readUTF();
    FrameFormat f = new FrameFormat(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
        in.readInt(), in.readUTF());
    return new Request(ts, f, bytes(in));
  }

  static byte[] bytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_BYTES) throw new IOException("a length of " + n + " bytes");
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
