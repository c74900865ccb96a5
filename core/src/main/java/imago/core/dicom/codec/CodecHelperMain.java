package imago.core.dicom.codec;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;

/**
 * The codec helper process: decodes frames with GDCM (JNI) for {@link NativeCodec}, one at a time,
 * requests on stdin, answers on stdout, GDCM's own warnings on stderr. It runs apart from the
 * server because Debian's GDCM is built with assertions on: a malformed codestream may abort the
 * process, and that must cost one request, not the DICOM node. It exits when its stdin closes.
 */
public final class CodecHelperMain {
  private CodecHelperMain() {}

  public static void main(String[] args) throws IOException {
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(System.out, 1 << 16));
    // Nothing but answers may reach the pipe: anything printed to System.out goes to stderr instead.
    System.setOut(new PrintStream(System.err, true));
    System.loadLibrary("gdcmjni");
    out.writeInt(CodecProtocol.HELLO);
    out.flush();
    DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
    while (true) {
      CodecProtocol.Request request;
      try {
        request = CodecProtocol.read(in);
      } catch (EOFException e) {
        return; // the server closed the pipe: done
      }
      try {
        GdcmFrames.Decoded d = GdcmFrames.decode(request.transferSyntax(), request.format(), request.codestream());
        out.writeByte(CodecProtocol.OK);
        out.writeUTF(d.photometric());
        out.writeInt(d.planarConfiguration());
        out.writeInt(d.pixels().length);
        out.write(d.pixels());
      } catch (CodecException | RuntimeException e) {
        out.writeByte(CodecProtocol.FAILED);
        out.writeUTF(String.valueOf(e.getMessage()));
      }
      out.flush();
    }
  }
}
