package imago.inference.sandbox;

import imago.inference.engine.EngineConfig;
import imago.inference.engine.EngineMessages;
import imago.inference.engine.Engines;
import imago.inference.engine.Framework;
import imago.inference.engine.InferenceException;
import imago.inference.engine.LoadedModel;
import imago.inference.engine.ModelLoadException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The sandbox process: loads one model in its engine and runs it on the tensors its parent sends.
 * It holds no secret and reaches no network (see {@link Sandbox} for how it is started); whatever
 * the artifact does while parsed or run happens here. The protocol runs over a Unix-domain socket
 * in the sandbox's folder, so nothing an engine prints (TorchScript's {@code print} writes to the
 * process's stdout) can be mistaken for an answer; stdout and stderr go to the parent's log.
 *
 * <p>With {@link #WARM_UP} it only starts the engines (no model), unpacking their native libraries
 * into the cache: what the server runs once, as its own user, before any sandbox reads them.
 */
public final class SandboxMain {
  static final String WARM_UP = "--warm-up";

  private SandboxMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 4 && args[0].equals(WARM_UP)) {
      new Engines(new EngineConfig(Integer.parseInt(args[2]), Path.of(args[1]), Boolean.parseBoolean(args[3]))).warmUp();
      return;
    }
    // The secret the server gave this process alone, on its stdin: proof on the socket that it is this sandbox.
    String secret = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.US_ASCII))
        .readLine();
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(args[0]));
      DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 1 << 16));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
      out.writeInt(SandboxProtocol.HELLO);
      SandboxProtocol.writeText(out, secret == null ? "" : secret);
      out.flush();
      serve(in, out);
    }
  }

  private static void serve(DataInputStream in, DataOutputStream out) throws IOException {
    Engines engines = null;
    LoadedModel model = null;
    for (byte op = SandboxProtocol.readOp(in); op != SandboxProtocol.QUIT; op = SandboxProtocol.readOp(in)) {
      switch (op) {
        case SandboxProtocol.LOAD -> {
          Framework framework = Framework.parse(SandboxProtocol.readText(in));
          Path artifact = Path.of(SandboxProtocol.readText(in));
          String inputName = SandboxProtocol.readText(in);
          EngineConfig config = new EngineConfig(in.readInt(), Path.of(SandboxProtocol.readText(in)), in.readBoolean());
          try {
            if (model != null) throw new ModelLoadException("this sandbox already holds a model");
            engines = new Engines(config);
            model = engines.load(framework, artifact, inputName.isEmpty() ? null : inputName);
            out.writeByte(SandboxProtocol.OK);
            SandboxProtocol.writeText(out, model.engine());
            SandboxProtocol.writeText(out, model.device());
            long[] declared = model.declaredInputShape().orElse(null);
            out.writeByte(declared == null ? -1 : declared.length);
            if (declared != null) for (long d : declared) out.writeLong(d);
          } catch (ModelLoadException | RuntimeException | LinkageError e) {
            fail(out, SandboxProtocol.LOAD_FAILED, e);
          }
        }
        case SandboxProtocol.PREDICT -> {
          var input = SandboxProtocol.readTensor(in);
          try {
            if (model == null) throw new InferenceException("no model loaded in this sandbox");
            var output = model.predict(input);
            out.writeByte(SandboxProtocol.OK);
            SandboxProtocol.writeTensor(out, output);
          } catch (InferenceException | RuntimeException | OutOfMemoryError e) {
            fail(out, SandboxProtocol.RUN_FAILED, e);
          }
        }
        case SandboxProtocol.DEVICES -> {
          Path cache = Path.of(SandboxProtocol.readText(in)); // read whatever this sandbox holds
          var devices = (engines != null ? engines : new Engines(new EngineConfig(1, cache, true))).devices();
          out.writeByte(SandboxProtocol.OK);
          out.writeInt(devices.size());
          for (String d : devices) SandboxProtocol.writeText(out, d);
        }
        default -> throw new IOException("unknown sandbox op " + op);
      }
      out.flush();
    }
    if (model != null) model.close();
  }

  private static void fail(DataOutputStream out, byte kind, Throwable e) throws IOException {
    out.writeByte(SandboxProtocol.FAILED);
    out.writeByte(kind);
    SandboxProtocol.writeText(out, e instanceof ModelLoadException || e instanceof InferenceException ? e.getMessage()
        : EngineMessages.oneLine(e));
  }
}
