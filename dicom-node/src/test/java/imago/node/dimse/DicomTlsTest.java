package imago.node.dimse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.synthetic.SyntheticCt;
import imago.core.testkit.Dcmtk;
import imago.web.tls.LocalCa;
import imago.web.tls.PeerIdentity;
import imago.web.tls.Pem;
import imago.web.tls.TlsConfig;
import imago.web.tls.TlsMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DICOM TLS (PS3.15 Annex B, BCP 195) against dcmtk's own TLS client: a hospital's certificate from
 * Imago's CA lets its AE in; a certificate from any other CA, no certificate, or a certificate
 * used for another AE title does not.
 */
class DicomTlsTest {
  @TempDir static Path tmp;
  static DimseNode node;
  static TlsMaterial tls;
  /** Tenant other's own CA (tenants[].clientCas): it vouches for other's AEs only. */
  static LocalCa otherCa;

  @BeforeAll
  static void start() throws Exception {
    Path otherCaDir = Files.createDirectories(tmp.resolve("other-ca"));
    otherCa = LocalCa.loadOrCreate(otherCaDir, Clock.systemUTC());
    tls = TlsMaterial.open(TlsConfig.local(), tmp.resolve("data"), List.of(), Clock.systemUTC(),
        java.util.Map.of("other", List.of(otherCaDir.resolve("ca.pem").toString())));
    node = DimseNode.start(tmp.resolve("node"), List.of(), tls);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** key.pem, cert.pem and ca.pem for {@code identity} signed by {@code ca}, in a folder of their own. */
  private static Path certificate(LocalCa ca, PeerIdentity identity, String name) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    LocalCa.Issued issued = ca.issueClient(identity, Duration.ofDays(1));
    Files.writeString(dir.resolve("key.pem"), Pem.key(issued.key()));
    Files.writeString(dir.resolve("cert.pem"), Pem.certificates(issued.chain()));
    Files.writeString(dir.resolve("ca.pem"), Pem.certificates(List.of(tls.signer().certificate())));
    return dir;
  }

  private static String[] tlsArgs(Path dir) {
    return new String[] {"+tls", dir.resolve("key.pem").toString(), dir.resolve("cert.pem").toString(),
        "+cf", dir.resolve("ca.pem").toString()};
  }

  @Test
  void aHospitalCertificateFromImagosCaStoresAndQueriesOverDicomTls() throws Exception {
    Path cert = certificate(tls.signer(), new PeerIdentity("demo", "DEMO"), "demo-cert");
    assertTrue(Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "DEMO", DimseNode.AE, tlsArgs(cert)).ok());
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(1, 1, 2).withSize(32, 32).withSeed(4701);
    List<Path> files = SyntheticCt.write(spec, tmp.resolve("ct"));
    Dcmtk.Result r = Dcmtk.storescu("127.0.0.1", node.tlsPort(), "DEMO", DimseNode.AE, files, tlsArgs(cert));
    assertTrue(r.ok(), r.toString());
    assertEquals(2, node.index().studyInstances("demo", SyntheticCt.studyInstanceUid(spec, 1)).size());
    Dcmtk.FindResult found = Dcmtk.findscu("127.0.0.1", node.tlsPort(), "DEMO", DimseNode.AE, List.of(tlsArgs(cert)), "-S",
        "QueryRetrieveLevel=IMAGE", "StudyInstanceUID=" + SyntheticCt.studyInstanceUid(spec, 1), "SOPInstanceUID");
    assertTrue(found.result().ok(), found.result().toString());
    assertEquals(2, found.responses().size(), "C-FIND over DICOM TLS finds what was stored over it");
  }

  @Test
  void aCertificateFromAnotherCaIsRefusedEvenNamingARealAe() throws Exception {
    LocalCa rogue = LocalCa.loadOrCreate(Files.createDirectories(tmp.resolve("rogue-ca")), Clock.systemUTC());
    Path cert = certificate(rogue, new PeerIdentity("demo", "DEMO"), "rogue-cert");
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "DEMO", DimseNode.AE, tlsArgs(cert));
    assertFalse(r.ok(), "a certificate Imago's CA did not sign: " + r);
  }

  @Test
  void aTenantsOwnCaVouchesForThatTenantsAesAndNoOtherTenants() throws Exception {
    Path own = certificate(otherCa, new PeerIdentity("other", "OTHER"), "other-own");
    assertTrue(Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "OTHER", DimseNode.AE, tlsArgs(own)).ok(),
        "other's CA signs for other's AE");
    Path overreach = certificate(otherCa, new PeerIdentity("demo", "DEMO"), "other-for-demo");
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "DEMO", DimseNode.AE, tlsArgs(overreach));
    assertFalse(r.ok(), "other's CA cannot vouch for demo's DEMO: " + r);
    assertTrue(r.output().contains("Calling AE Title Not Recognized"), r.output());
  }

  @Test
  void imagosOwnCaAppendedToAChainDoesNotWidenATenantCasScope() {
    LocalCa.Issued forDemo = otherCa.issueClient(new PeerIdentity("demo", "DEMO"), Duration.ofDays(1));
    // every hospital holds Imago's CA certificate: appending it must not turn other's CA into "any tenant"
    java.security.cert.Certificate[] chain = {forDemo.certificate(), tls.signer().certificate()};
    assertEquals(java.util.Optional.of("other"), tls.vouchedTenant(chain));
    assertEquals(java.util.Optional.empty(), tls.vouchedTenant(new java.security.cert.Certificate[] {
        tls.signer().issueClient(new PeerIdentity("demo", "DEMO"), Duration.ofDays(1)).certificate()}));
  }

  @Test
  void aPeerWithoutACertificateIsRefused() {
    Dcmtk.Result r = Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "DEMO", DimseNode.AE, "+tla", "-ic");
    assertFalse(r.ok(), "anonymous TLS: " + r);
  }

  @Test
  void aCertificateSpeaksForItsOwnAeTitleOnly() throws Exception {
    Path demo = certificate(tls.signer(), new PeerIdentity("demo", "DEMO"), "demo-only");
    Dcmtk.Result otherTenant = Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "OTHER", DimseNode.AE, tlsArgs(demo));
    assertFalse(otherTenant.ok(), "DEMO's certificate used as OTHER: " + otherTenant);
    assertTrue(otherTenant.output().contains("Calling AE Title Not Recognized"), otherTenant.output());
    Dcmtk.Result sameTenant = Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "STORESCU", DimseNode.AE, tlsArgs(demo));
    assertFalse(sameTenant.ok(), "DEMO's certificate used as another AE of the same tenant: " + sameTenant);
    Path forged = certificate(tls.signer(), new PeerIdentity("other", "DEMO"), "wrong-tenant");
    assertFalse(Dcmtk.echoscu("127.0.0.1", node.tlsPort(), "DEMO", DimseNode.AE, tlsArgs(forged)).ok(),
        "a certificate naming AE DEMO under tenant other does not speak for demo's DEMO");
  }
}
