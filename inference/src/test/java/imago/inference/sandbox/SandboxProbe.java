package imago.inference.sandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Started by {@link SandboxIsolationTest} with the sandbox's own command line in place of
 * {@link SandboxMain}: reports on stdout what a hostile model could reach from inside.
 */
public final class SandboxProbe {
  private SandboxProbe() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Path secret = Path.of(args[1]);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      System.out.println("network=reached");
    } catch (IOException e) {
      System.out.println("network=refused");
    }
    try {
      Files.readAllBytes(secret);
      System.out.println("secret=read");
    } catch (IOException e) {
      System.out.println("secret=denied");
    }
    System.out.println("pid=" + ProcessHandle.current().pid());
    System.out.println("env=" + String.join(",", new java.util.TreeSet<>(System.getenv().keySet())));
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:") || line.startsWith("CapEff:") || line.startsWith("NoNewPrivs:")) {
          System.out.println(line.replaceAll("\\s+", " "));
        }
      }
    } catch (IOException e) {
      System.out.println("status=unreadable");
    }
  }
}
