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

  GatedSocket(Socket socket, byte[] associateRequest, long maxPDataLength) throws IOException {
    this.socket = socket;
    InputStream guarded = new PduGuardInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 65536), maxPDataLength);
    this.in = new SequenceInputStream(new ByteArrayInputStream(associateRequest), guarded);
  }

  @Override public InputStream getInputStream() { return in; }
  @Override public OutputStream getOutputStream() throws IOException { return socket.getOutputStream(); }
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
