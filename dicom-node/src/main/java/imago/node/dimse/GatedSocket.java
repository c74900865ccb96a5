package imago.node.dimse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * The accepted socket as PixelMed sees it: the A-ASSOCIATE-RQ that {@link AssociationGate}
 * already read is replayed first, and everything after it passes through {@link PduGuardInputStream}.
 */
final class GatedSocket extends Socket {
  private final Socket socket;
  private final InputStream in;
  private final PduGuardInputStream guard;
  private final OutputStream out;
  private volatile Object association;

  GatedSocket(Socket socket, byte[] associateRequest, long maxPDataLength) throws IOException {
    this.socket = socket;
    this.guard = new PduGuardInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 65536), maxPDataLength,
        violation -> abortQuietly(socket));
    this.in = new SequenceInputStream(new ByteArrayInputStream(associateRequest), guard);
    this.out = new ReleaseWatchingOutputStream(socket.getOutputStream());
  }

  /** PS3.8 §9.3.8: A-ABORT from the service provider, reason invalid-PDU-parameter-value. */
  private static void abortQuietly(Socket socket) {
    try {
      AssociationGate.abort(socket.getOutputStream(), 6);
    } catch (IOException ignored) {
      // the peer is gone already
    }
  }

  /** Why the PDU guard refused the stream, or null. */
  String pduViolation() {
    return guard.violation();
  }

  /** The PixelMed association using this socket (its monitor is what the ARTIM wait waits on). */
  void association(Object association) {
    this.association = association;
  }

  /**
   * After sending A-RELEASE-RP, PixelMed waits a fixed 5 s (its ARTIM timer) for the peer to close
   * the transport connection, holding an association slot. PS3.8 §9.2.3 lets the acceptor close as
   * soon as the requestor has: so watch for the peer's close and end the wait then.
   */
  private final class ReleaseWatchingOutputStream extends java.io.FilterOutputStream {
    ReleaseWatchingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      // A-RELEASE-RP: type 06, reserved, length 00000004 (PS3.8 Table 9-25)
      if (len == 10 && b[off] == 0x06 && b[off + 2] == 0 && b[off + 3] == 0 && b[off + 4] == 0 && b[off + 5] == 4) {
        watchForPeerClose();
      }
    }

    private void watchForPeerClose() {
      Thread watcher = new Thread(() -> {
        try {
          socket.setSoTimeout(6000);
          while (socket.getInputStream().read() >= 0) {
            // nothing more is expected after A-RELEASE-RP; wait for end of stream
          }
        } catch (IOException ignored) {
          // closed or timed out: either way the wait can end
        }
        Object as = association;
        if (as != null) {
          synchronized (as) {
            as.notifyAll();
          }
        }
      }, "dimse-release-watch");
      watcher.setDaemon(true);
      watcher.start();
    }
  }

  @Override public InputStream getInputStream() { return in; }
  @Override public OutputStream getOutputStream() { return out; }
  @Override public synchronized void close() throws IOException { socket.close(); }
  @Override public boolean isClosed() { return socket.isClosed(); }
  @Override public boolean isConnected() { return socket.isConnected(); }
  @Override public InetAddress getInetAddress() { return socket.getInetAddress(); }
  @Override public InetAddress getLocalAddress() { return socket.getLocalAddress(); }
  @Override public int getPort() { return socket.getPort(); }
  @Override public int getLocalPort() { return socket.getLocalPort(); }
  @Override public SocketAddress getRemoteSocketAddress() { return socket.getRemoteSocketAddress(); }
  @Override public SocketAddress getLocalSocketAddress() { return socket.getLocalSocketAddress(); }
  @Override public synchronized void setSoTimeout(int timeout) throws SocketException { socket.setSoTimeout(timeout); }
  @Override public synchronized int getSoTimeout() throws SocketException { return socket.getSoTimeout(); }
  @Override public void setTcpNoDelay(boolean on) throws SocketException { socket.setTcpNoDelay(on); }
  @Override public boolean getTcpNoDelay() throws SocketException { return socket.getTcpNoDelay(); }
  @Override public synchronized void setSendBufferSize(int size) throws SocketException { socket.setSendBufferSize(size); }
  @Override public synchronized int getSendBufferSize() throws SocketException { return socket.getSendBufferSize(); }
  @Override public synchronized void setReceiveBufferSize(int size) throws SocketException { socket.setReceiveBufferSize(size); }
  @Override public synchronized int getReceiveBufferSize() throws SocketException { return socket.getReceiveBufferSize(); }
  @Override public void setSoLinger(boolean on, int linger) throws SocketException { socket.setSoLinger(on, linger); }
  @Override public void setKeepAlive(boolean on) throws SocketException { socket.setKeepAlive(on); }
  @Override public void shutdownInput() throws IOException { socket.shutdownInput(); }
  @Override public void shutdownOutput() throws IOException { socket.shutdownOutput(); }
  @Override public String toString() { return socket.toString(); }
}
