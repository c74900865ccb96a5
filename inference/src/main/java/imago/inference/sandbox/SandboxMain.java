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
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The sandbox process: loads one model in its engine and runs it on the tensors its parent sends.
 * It holds no secret and reaches no network (see {@link Sandbox} for how it is started); whatever
 * the artifact does while parsed or run happens here. stdout carries the protocol only: anything
 * the engines print goes to stderr, which the parent logs.
 */
public final class SandboxMain {
  private SandboxMain() {}

  public static void main(String[] args) throws IOException {
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
    System.setOut(System.err);
    DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16));
    out.writeInt(SandboxProtocol.HELLO);
    out.flush();
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
          Engines probe = engines != null ? engines : new Engines(new EngineConfig(1, Path.of(SandboxProtocol.readText(in)), true));
          var devices = probe.devices();
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
