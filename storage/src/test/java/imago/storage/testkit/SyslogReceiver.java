package imago.storage.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;

/**
 * A small syslog receiver for tests, as an audit repository would be: RFC 5426 (UDP, a message
 * per datagram) or RFC 5425 (TLS, octet-counted frames) with a throwaway certificate made by the
 * JDK's keytool for {@code localhost} and {@code 127.0.0.1}. Every message is parsed as RFC 5424
 * on arrival (a malformed one fails the test through {@link #malformed()}); a TLS receiver can be
 * stopped and started again on the same port.
 */
public final class SyslogReceiver implements AutoCloseable {
  /** RFC 5424 §6: PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA, then the message. */
  private static final Pattern HEADER = Pattern.compile(
      "<(\\d{1,3})>(\\d) (\\S+) (\\S+) (\\S+) (\\S+) (\\S+) (-|\\[.*?\\]) ", Pattern.DOTALL);
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
  private static final String PASSWORD = "changeit";

  /** One message as received. {@code bom}: whether the message body began with a UTF-8 BOM. */
  public record Message(int pri, int version, String timestamp, String hostname, String appName, String procId,
      String msgId, String structuredData, boolean bom, String body) {

    /** The body as XML (DTDs refused), or an AssertionError saying why it is not well-formed. */
    public Document xml() {
      try {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
      } catch (Exception e) {
        throw new AssertionError("not well-formed XML: " + e.getMessage() + "\n" + body, e);
      }
    }

    /** The string value of an XPath expression over {@link #xml()}. */
    public String xpath(String expression) {
      try {
        return XPathFactory.newInstance().newXPath().evaluate(expression, xml());
      } catch (Exception e) {
        throw new AssertionError("XPath " + expression + ": " + e.getMessage(), e);
      }
    }
  }

  private final List<Message> messages = new CopyOnWriteArrayList<>();
  private final List<String> malformed = new CopyOnWriteArrayList<>();
  private final AtomicInteger refusedHandshakes = new AtomicInteger();
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final int port;
  private SSLContext tls;
  private boolean clientRequired;
  private final List<String> clientSubjects = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Path certificate;
  private volatile DatagramSocket udp;
  private volatile ServerSocket server;

  private SyslogReceiver(int port, SSLContext tls, Path certificate) {
    this.port = port;
    this.tls = tls;
    this.certificate = certificate;
  }

  /** A UDP receiver on a free loopback port, listening. */
  public static SyslogReceiver udp() throws IOException {
    DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    SyslogReceiver r = new SyslogReceiver(socket.getLocalPort(), null, null);
    r.udp = socket;
    r.thread("syslog-udp", r::receiveDatagrams);
    return r;
  }

  /**
   * A TLS receiver for {@code port} with a certificate of its own made in {@code dir}; not listening
   * until {@link #start()}.
   */
  public static SyslogReceiver tls(Path dir, int port) throws Exception {
    Path keystore = dir.resolve("receiver.p12");
    javax.net.ssl.X509KeyManager keys = newIdentity(dir, keystore);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new javax.net.ssl.KeyManager[] {keys}, null, null);
    return new SyslogReceiver(port, context, dir.resolve("receiver.pem"));
  }

  /** A key and self-signed certificate for localhost made in {@code dir} (receiver.p12, receiver.pem): a sender's, say. */
  public static javax.net.ssl.X509KeyManager identity(Path dir) throws Exception {
    return newIdentity(dir, dir.resolve("receiver.p12"));
  }

  /**
   * From now on (before {@link #start()}) only senders presenting the certificate in {@code pem}
   * get through the handshake: mutual TLS, as an ATNA audit repository asks of a Secure Node.
   */
  public SyslogReceiver requireClientCertificate(Path pem) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(pem)) {
      trust.setCertificateEntry("client", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new javax.net.ssl.KeyManager[] {newIdentityLoaded(certificate.resolveSibling("receiver.p12"))},
        tmf.getTrustManagers(), null);
    tls = context;
    clientRequired = true;
    return this;
  }

  /** The subjects of the client certificates senders presented. */
  public List<String> clientSubjects() {
    return clientSubjects;
  }

  private static javax.net.ssl.X509KeyManager newIdentity(Path dir, Path keystore) throws Exception {
    Path pem = dir.resolve("receiver.pem");
    keytool(dir, "-genkeypair", "-alias", "receiver", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "san=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
        "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool(dir, "-exportcert", "-rfc", "-alias", "receiver", "-keystore", keystore.toString(), "-storepass", PASSWORD,
        "-file", pem.toString());
    return newIdentityLoaded(keystore);
  }

  private static javax.net.ssl.X509KeyManager newIdentityLoaded(Path keystore) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD.toCharArray());
    for (javax.net.ssl.KeyManager m : kmf.getKeyManagers()) {
      if (m instanceof javax.net.ssl.X509KeyManager x) return x;
    }
    throw new IllegalStateException("no X.509 key manager");
  }

  private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("keytool failed: " + output);
  }

  /** TLS: listens on the port (again, after {@link #stop()}). */
  public SyslogReceiver start() throws IOException {
    SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
    s.setNeedClientAuth(clientRequired);
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    server = s;
    thread("syslog-tls-accept", () -> accept(s));
    return this;
  }

  /** TLS: stops listening and drops every connection, as a receiver that goes down does. */
  public void stop() throws IOException {
    if (server != null) server.close();
    for (Socket c : connections) c.close();
    connections.clear();
  }

  public int port() {
    return port;
  }

  /** TLS: the receiver's certificate, PEM: the CA Imago is to trust for it. */
  public Path certificate() {
    return certificate;
  }

  public List<Message> messages() {
    return List.copyOf(messages);
  }

  /** What arrived that is not RFC 5424 (each with why). */
  public List<String> malformed() {
    return List.copyOf(malformed);
  }

  /** TLS connections whose handshake failed (the sender did not trust this receiver's certificate). */
  public int refusedHandshakes() {
    return refusedHandshakes.get();
  }

  private void receiveDatagrams() {
    byte[] buf = new byte[65535];
    while (!udp.isClosed()) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        udp.receive(p);
        parse(Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength()));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket c = s.accept();
        connections.add(c);
        thread("syslog-tls-connection", () -> readFrames(c));
      } catch (IOException e) {
        return; // stopped
      }
    }
  }

  /** RFC 5425 §4.3: MSG-LEN SP SYSLOG-MSG, repeated. */
  private void readFrames(Socket c) {
    try (InputStream in = new BufferedInputStream(c.getInputStream())) {
      ((javax.net.ssl.SSLSocket) c).startHandshake();
      if (clientRequired) {
        clientSubjects.add(((java.security.cert.X509Certificate) ((javax.net.ssl.SSLSocket) c).getSession()
            .getPeerCertificates()[0]).getSubjectX500Principal().getName());
      }
      while (true) {
        int length = 0;
        int b;
        int digits = 0;
        while ((b = in.read()) >= '0' && b <= '9') {
          length = length * 10 + (b - '0');
          digits++;
        }
        if (b < 0 && digits == 0) return; // the sender closed the connection between frames
        if (b != ' ' || digits == 0) {
          malformed.add("frame does not start with MSG-LEN SP (read " + b + ")");
          return;
        }
        parse(in.readNBytes(length));
      }
    } catch (javax.net.ssl.SSLHandshakeException e) {
      refusedHandshakes.incrementAndGet();
    } catch (IOException e) {
      // dropped by stop(), or the sender went away
    }
  }

  private void parse(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8);
    Matcher m = HEADER.matcher(text);
    if (!m.lookingAt()) {
      malformed.add("no RFC 5424 header: " + text.substring(0, Math.min(80, text.length())));
      return;
    }
    int headerBytes = m.group().getBytes(StandardCharsets.UTF_8).length;
    boolean bom = raw.length >= headerBytes + 3 && Arrays.equals(Arrays.copyOfRange(raw, headerBytes, headerBytes + 3), BOM);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(raw, headerBytes + (bom ? 3 : 0), raw.length - headerBytes - (bom ? 3 : 0));
    messages.add(new Message(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), m.group(3), m.group(4), m.group(5),
        m.group(6), m.group(7), m.group(8), bom, body.toString(StandardCharsets.UTF_8)));
  }

  private static void thread(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    if (udp != null) udp.close();
    stop();
  }
}
