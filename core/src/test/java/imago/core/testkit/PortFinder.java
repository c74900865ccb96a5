package imago.core.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free TCP ports on loopback for test servers. */
public final class PortFinder {
  /** Ports already handed out in this JVM: the OS may offer a just-closed port again. */
  private static final Set<Integer> GIVEN = new HashSet<>();

  private PortFinder() {}

  /** A loopback TCP port that was free a moment ago and has not been returned before in this JVM. */
  public static synchronized int freePort() {
    for (int attempt = 0; attempt < 50; attempt++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = socket.getLocalPort();
        if (GIVEN.add(port)) return port;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open a loopback socket", e);
      }
    }
    throw new IllegalStateException("no fresh free port after 50 attempts");
  }
}
