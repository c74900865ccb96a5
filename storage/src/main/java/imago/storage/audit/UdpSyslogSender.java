package imago.storage.audit;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Syslog over UDP (RFC 5426): one message per datagram. Best effort: a datagram the receiver
 * never gets (it was down, the network dropped it) is lost without a sign; only failures on this
 * side (no route, an unknown host) are seen and retried.
 */
final class UdpSyslogSender implements SyslogSender {
  private final String host;
  private final int port;
  private DatagramSocket socket;
  private InetSocketAddress target;

  UdpSyslogSender(String host, int port) {
    this.host = host;
    this.port = port;
  }

  @Override
  public synchronized void send(List<byte[]> messages) throws IOException {
    try {
      if (socket == null) {
        target = new InetSocketAddress(host, port); // resolved again after a failure: the receiver may have moved
        if (target.isUnresolved()) throw new IOException("cannot resolve " + host);
        socket = new DatagramSocket();
      }
      for (byte[] m : messages) socket.send(new DatagramPacket(m, m.length, target));
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  @Override
  public synchronized void close() {
    if (socket != null) socket.close();
    socket = null;
  }
}
