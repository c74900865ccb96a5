package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.config.Config;
import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.node.NodeConfig;
import imago.web.tls.Pem;
import imago.web.tls.TlsMaterial;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS and DICOM TLS as a hospital meets them: secure listeners from Imago's local CA on first
 * start, plain ones on loopback by default, and {@code imago tls client-cert} writing a working
 * hospital identity.
 */
class TlsTest {
  @TempDir static Path tmp;
  static TestImago node;

  @BeforeAll
  static void start() throws Exception {
    node = TestImago.start(tmp.resolve("data"));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void plainDimseAndHttpListenOnLoopbackByDefaultAndTheSecurePortsOutward() {
    NodeConfig defaults = Config.load(null, Map.of(), Map.of()).section("node", NodeConfig.class);
    assertTrue(defaults.plainOnLoopback(), "plain DIMSE and HTTP bind " + defaults.bindAddress());
    assertEquals("0.0.0.0", defaults.tlsBindAddress());
    assertEquals(2762, defaults.dicomTlsPort());
    assertEquals(8443, defaults.httpsPort());
  }

  /** A client trusting exactly {@code ca.pem}, speaking {@code protocol}. */
  private static HttpClient client(Path caPem, String protocol) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (X509Certificate c : Pem.read(Files.readString(caPem), caPem.toString()).certificates()) trust.setCertificateEntry("ca" + i++, c);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    SSLParameters parameters = new SSLParameters();
    parameters.setProtocols(new String[] {protocol});
    return HttpClient.newBuilder().sslContext(context).sslParameters(parameters).build();
  }

  @Test
  void httpsAnswersWithACertificateFromTheLocalCaGeneratedOnFirstStart() throws Exception {
    Path ca = TlsMaterial.directory(node.data).resolve("ca.pem");
    assertEquals(ca, node.imago.tls().generatedBy().orElseThrow());
    HttpResponse<String> health = client(ca, "TLSv1.3").send(
        HttpRequest.newBuilder(URI.create("https://localhost:" + node.imago.httpsPort() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode(), "the certificate names localhost and chains to ca.pem");
    assertEquals(200, client(ca, "TLSv1.2").send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + node.imago.httpsPort() + "/health")).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode(), "TLS 1.2 and the loopback address too");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
        TlsMaterial.directory(node.data).resolve("server.pem"))), "the server key is the service's alone");
  }

  @Test
  void httpsRefusesTlsBelowOnePointTwo() throws Exception {
    Path ca = TlsMaterial.directory(node.data).resolve("ca.pem");
    HttpClient old = client(ca, "TLSv1.1");
    assertThrows(SSLHandshakeException.class, () -> old.send(HttpRequest.newBuilder(
        URI.create("https://localhost:" + node.imago.httpsPort() + "/health")).build(), HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void aClientCertificateFromTheCommandStoresOverDicomTls() throws Exception {
    Config config = Config.load(null, Map.of(), TestImago.overrides(node.data));
    Path out = tmp.resolve("hospital");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    assertEquals(0, TlsCommand.clientCert(config, "demo", "DEMO", out, new PrintStream(printed)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("key.pem"))));
    assertTrue(printed.toString().contains("storescu +tls"), printed.toString());
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 1).withSize(32, 32).withSeed(4801);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("ct"));
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.imago.dicomTlsPort(), "DEMO", "IMAGO", files, "+tls",
        out.resolve("key.pem").toString(), out.resolve("cert.pem").toString(), "+cf", out.resolve("ca.pem").toString());
    assertTrue(r.ok(), r.toString());
    assertEquals(1, node.imago.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).size());
  }

  @Test
  void theCommandRefusesAnAeTitleItsTenantDoesNotHave() {
    Config config = Config.load(null, Map.of(), TestImago.overrides(node.data));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TlsCommand.clientCert(config, "demo", "OTHER", tmp.resolve("wrong"), System.out));
    assertTrue(e.getMessage().contains("aeTitles"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("wrong").resolve("key.pem")));
  }

  @Test
  void theServerCertificateIsKeptAcrossRestartsAndRenewedWhenItsNamesChange() throws Exception {
    Path data = tmp.resolve("restarts");
    X509Certificate first;
    try (TestImago a = TestImago.start(data)) {
      first = a.imago.tls().serverCertificate();
    }
    try (TestImago b = TestImago.start(data)) {
      assertEquals(first, b.imago.tls().serverCertificate(), "the same certificate after a restart");
    }
    try (TestImago c = TestImago.start(data, Map.of("tls.serverNames", "[pacs.example.org]"))) {
      X509Certificate renamed = c.imago.tls().serverCertificate();
      assertNotEquals(first, renamed);
      assertTrue(renamed.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("pacs.example.org")));
      assertEquals(first.getIssuerX500Principal(), renamed.getIssuerX500Principal(), "signed by the same local CA");
    }
  }
}
