package imago.node.dimse;

import imago.core.tenant.Tenant.MoveDestination;
import imago.web.tls.Bcp195;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Opens the transport to a C-MOVE destination: TCP, or for a {@code tls} destination DICOM TLS
 * (PS3.15 Annex B) with Imago's own context: Imago presents its certificate, the destination's
 * must chain to a CA Imago trusts and name the host Imago connects to (RFC 6125, as HTTPS), and
 * only the BCP 195 protocols and suites are offered. The handshake completes before the socket is
 * handed on, so a destination that fails it is sent nothing, and never anything in clear.
 */
final class DestinationConnector {
  /** The TLS handshake failed; {@link #failure} says why in a few words. */
  static final class TlsRefusedException extends IOException {
    TlsRefusedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final SSLContext tls;
  private final Duration timeout;

  /** {@code tls} null: TLS destinations cannot be reached (each such C-MOVE fails, saying so). */
  DestinationConnector(SSLContext tls, Duration timeout) {
    this.tls = tls;
    this.timeout = timeout;
  }

  /** A connected socket to {@code destination}, its TLS handshake (if any) done, reads bounded by the timeout. */
  Socket connect(MoveDestination destination) throws IOException {
    if (destination.tls() && tls == null) throw new TlsRefusedException("no TLS context for outbound DICOM TLS", null);
    Socket tcp = new Socket();
    try {
      tcp.setTcpNoDelay(true);
      tcp.connect(new InetSocketAddress(destination.host(), destination.port()), (int) timeout.toMillis());
      tcp.setSoTimeout((int) timeout.toMillis());
      return destination.tls() ? handshake(tcp, destination) : tcp;
    } catch (IOException | RuntimeException e) {
      tcp.close();
      throw e;
    }
  }

  private SSLSocket handshake(Socket tcp, MoveDestination destination) throws IOException {
    // layered on the connected socket with the configured host name: SNI and the name check use it
    SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(tcp, destination.host(), destination.port(), true);
    SSLParameters parameters = Bcp195.apply(ssl.getSSLParameters(), ssl.getSupportedCipherSuites());
    parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name destination.host()
    ssl.setSSLParameters(parameters);
    try {
      ssl.startHandshake();
    } catch (IOException e) {
      ssl.close();
      throw new TlsRefusedException(e.getMessage(), e);
    }
    return ssl;
  }

  /**
   * Why a destination got nothing, in words for the C-MOVE's Error Comment (PS3.7 C.4: LO, at
   * most 64 characters); the log carries the whole exception message.
   */
  static String failure(Exception e, boolean tls) {
    if (e instanceof TlsRefusedException) return tlsFailure(e);
    // TLS 1.3: a destination that refuses Imago's certificate says so (or just closes) after the
    // handshake completed on Imago's side, so it shows as the A-ASSOCIATE-RQ going unanswered
    if (tls && (e instanceof StoreScu.UnansweredException || e instanceof SSLException)) {
      return "destination refused TLS (does it trust Imago's certificate?)";
    }
    if (e instanceof StoreScu.UnansweredException) return "destination closed the association request unanswered";
    if (e instanceof StoreScu.RejectedException) return "destination rejected the association";
    if (e instanceof UnknownHostException) return "destination host unknown";
    if (e instanceof ConnectException || e instanceof NoRouteToHostException) return "destination unreachable";
    if (e instanceof SocketTimeoutException) return "destination did not answer in time";
    return "destination association failed";
  }

  private static String tlsFailure(Exception e) {
    if (e.getCause() == null) return "TLS destination, but no TLS context configured"; // see connect
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof CertificateException c) {
        String m = String.valueOf(c.getMessage());
        // the JDK's endpoint identification (sun.security.util.HostnameChecker) words
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
          return "destination certificate does not name its host";
        }
        return "destination certificate not trusted";
      }
    }
    return "TLS handshake with destination failed";
  }
}
