package imago.storage.audit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Syslog over TLS (RFC 5425): one connection, each message framed as {@code MSG-LEN SP MSG}
 * (octet counting). The receiver's certificate must chain to the configured CA (or the JDK's
 * trust) and name the configured host; TLS 1.2 or 1.3 only (BCP 195). Syslog has no
 * acknowledgement, so before each batch the connection is checked for a receiver that has gone
 * away: writing into a connection it closed would seem to succeed and lose the messages.
 */
final class TlsSyslogSender implements SyslogSender {
  private static final int TIMEOUT_MS = 10_000;
  private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private final String host;
  private final int port;
  private final SSLSocketFactory factory;
  private volatile SSLSocket socket;
  private volatile Socket plain;
  private OutputStream out;

  TlsSyslogSender(String host, int port, SSLSocketFactory factory) {
    this.host = host;
    this.port = port;
    this.factory = factory;
  }

  /**
   * Sockets that trust the CA certificates in the PEM file {@code caPem} (empty: the JDK's default
   * trust) and present {@code clientKey}'s certificate to a receiver that asks for one (null: none).
   */
  static SSLSocketFactory trust(String caPem, javax.net.ssl.X509KeyManager clientKey) throws IOException {
    javax.net.ssl.KeyManager[] keys = clientKey == null ? null : new javax.net.ssl.KeyManager[] {clientKey};
    try {
      if (caPem == null || caPem.isBlank()) {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys, null, null);
        return context.getSocketFactory();
      }
      Collection<? extends Certificate> cas;
      try (InputStream in = Files.newInputStream(Path.of(caPem))) {
        cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (cas.isEmpty()) throw new IOException("audit.syslog.trustCa: no certificate in " + caPem);
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate ca : cas) store.setCertificateEntry("ca-" + i++, ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, tmf.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IOException("audit.syslog.trustCa " + caPem + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void send(List<byte[]> messages) throws IOException {
    try {
      connected();
      for (byte[] m : messages) {
        out.write((m.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.write(m);
      }
      out.flush();
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private void connected() throws IOException {
    SSLSocket s = socket;
    if (s != null && !closedByReceiver(s)) return;
    close();
    Socket plain = new Socket();
    this.plain = plain;
    try {
      plain.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
      s = (SSLSocket) factory.createSocket(plain, host, port, true);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host (RFC 5425 §5.2, RFC 6125)
      p.setProtocols(Arrays.stream(s.getSupportedProtocols()).filter(PROTOCOLS::contains).toArray(String[]::new));
      s.setSSLParameters(p);
      s.setSoTimeout(TIMEOUT_MS);
      s.startHandshake();
    } catch (IOException e) {
      plain.close();
      throw e;
    }
    out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
    socket = s;
  }

  /** The receiver sends nothing back: the end of the stream (or a failure reading it) means it has gone. */
  private static boolean closedByReceiver(SSLSocket s) {
    try {
      s.setSoTimeout(1);
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Closes the TCP connection under the TLS one first: a close from another thread must not wait on a blocked write. */
  @Override
  public void close() {
    Socket p = plain;
    SSLSocket s = socket;
    plain = null;
    socket = null;
    for (Socket c : new Socket[] {p, s}) {
      try {
        if (c != null) c.close();
      } catch (IOException ignored) {
        // closing a connection that already failed
      }
    }
  }
}
