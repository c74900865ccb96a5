package imago.inference.sandbox;

import imago.inference.engine.Tensor;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The sandbox's wire format over its stdin and stdout: one request, one reply, in turn. Requests
 * are an op byte and its fields; replies a status byte ({@link #OK} or {@link #FAILED} with a
 * message). Tensors travel as rank, shape and raw float32 values in the machine's byte order, in
 * one bulk copy each way, so a batch costs a memcpy and a pipe transfer, not a serialisation.
 */
final class SandboxProtocol {
  private SandboxProtocol() {}

  /** The child's first four bytes: anything else on its stdout is not a sandbox talking. */
  static final int HELLO = 0x494D4753; // "IMGS"
  static final byte LOAD = 'L';
  static final byte PREDICT = 'P';
  static final byte DEVICES = 'D';
  static final byte QUIT = 'Q';
  static final byte OK = 0;
  static final byte FAILED = 1;
  /** A failure reply's kinds: the artifact did not load, or a run failed. */
  static final byte LOAD_FAILED = 'l';
  static final byte RUN_FAILED = 'r';
  /** The largest tensor either side accepts: 256 Mi values (1 GiB), beyond any batch validation allows. */
  static final long MAX_VALUES = 256L << 20;
  private static final int MAX_RANK = 8;
  private static final int CHUNK = 1 << 20;

  static void writeTensor(DataOutputStream out, Tensor t) throws IOException {
    out.writeByte(t.shape().length);
    for (long d : t.shape()) out.writeLong(d);
    float[] data = t.data();
    out.writeInt(data.length);
    ByteBuffer buffer = ByteBuffer.allocate(Math.min(CHUNK, data.length * 4)).order(ByteOrder.nativeOrder());
    for (int off = 0; off < data.length; ) {
      int n = Math.min(buffer.capacity() / 4, data.length - off);
      buffer.clear();
      buffer.asFloatBuffer().put(data, off, n);
      out.write(buffer.array(), 0, n * 4);
      off += n;
    }
  }

  static Tensor readTensor(DataInputStream in) throws IOException {
    int rank = in.readUnsignedByte();
    if (rank > MAX_RANK) throw new IOException("tensor of rank " + rank);
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) shape[i] = in.readLong();
    int count = in.readInt();
    if (count < 0 || count > MAX_VALUES) throw new IOException("tensor of " + count + " values");
    float[] data = new float[count];
    byte[] bytes = new byte[Math.min(CHUNK, count * 4)];
    ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    for (int off = 0; off < count; ) {
      int n = Math.min(bytes.length / 4, count - off);
      in.readFully(bytes, 0, n * 4);
      view.clear();
      view.asFloatBuffer().get(data, off, n);
      off += n;
    }
    try {
      return new Tensor(data, shape);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** A string of any length (writeUTF stops at 64 KiB). */
  static void writeText(DataOutputStream out, String text) throws IOException {
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  static String readText(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > (1 << 20)) throw new IOException("text of " + n + " bytes");
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The next op, or {@link #QUIT} at end of input (the parent went away). */
  static byte readOp(DataInputStream in) throws IOException {
    try {
      return in.readByte();
    } catch (EOFException e) {
      return QUIT;
    }
  }
}
