package imago.app;

import imago.core.config.Config;
import imago.core.io.SecretFiles;
import imago.core.tenant.Tenant;
import imago.web.tls.LocalCa;
import imago.web.tls.PeerIdentity;
import imago.web.tls.Pem;
import imago.web.tls.TlsConfig;
import imago.web.tls.TlsMaterial;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code imago tls client-cert --tenant T --ae AE --out DIR}: a hospital's DICOM TLS identity —
 * {@code key.pem} (0600), {@code cert.pem} (signed by Imago's CA, naming the tenant and AE title)
 * and {@code ca.pem} (what the hospital trusts Imago's server certificate by).
 */
final class TlsCommand {
  private TlsCommand() {}

  static int clientCert(Config config, String tenantId, String ae, Path out, PrintStream print) throws IOException {
    Tenant tenant = Imago.tenants(config).byId(tenantId)
        .orElseThrow(() -> new IllegalArgumentException("no tenant '" + tenantId + "' in the configuration"));
    if (!tenant.aeTitles().contains(ae)) {
      throw new IllegalArgumentException("AE title '" + ae + "' is not one of tenant " + tenantId + "'s (tenants[].aeTitles: "
          + String.join(", ", tenant.aeTitles()) + "); add it there first");
    }
    TlsConfig tls = config.section("tls", TlsConfig.class);
    LocalCa ca = TlsMaterial.signer(tls, config.dataDir(), Clock.systemUTC());
    LocalCa.Issued issued = ca.issueClient(new PeerIdentity(tenantId, ae), tls.clientCertValidity());
    SecretFiles.privateDirectory(out);
    Path key = out.resolve("key.pem");
    Files.deleteIfExists(key); // a new key replaces an old one, never half-written: made whole, 0600, then linked in
    if (!SecretFiles.createOnce(key, Pem.key(issued.key()))) throw new IOException(key + " appeared meanwhile");
    Files.writeString(out.resolve("cert.pem"), Pem.certificates(List.of(issued.certificate())), StandardCharsets.UTF_8);
    Files.writeString(out.resolve("ca.pem"), Pem.certificates(serverTrust(tls, ca)), StandardCharsets.UTF_8);
    X509Certificate cert = issued.certificate();
    print.printf("wrote %s/{key.pem,cert.pem,ca.pem}: AE %s of tenant %s, valid until %s, signed by %s%n", out, ae, tenantId,
        cert.getNotAfter().toInstant(), ca.certificate().getSubjectX500Principal().getName());
    print.printf("try it: storescu +tls %s %s +cf %s -aet %s -aec IMAGO <host> 2762 FILE%n", out.resolve("key.pem"),
        out.resolve("cert.pem"), out.resolve("ca.pem"), ae);
    return 0;
  }

  /** The CA(s) a hospital verifies Imago's server certificate with: the signer, and the root of a configured server chain. */
  private static List<X509Certificate> serverTrust(TlsConfig tls, LocalCa ca) throws IOException {
    List<X509Certificate> trust = new ArrayList<>(List.of(ca.certificate()));
    if (!tls.certificate().isEmpty()) {
      List<X509Certificate> chain = Pem.read(Files.readString(Path.of(tls.certificate()), StandardCharsets.UTF_8),
          tls.certificate()).certificates();
      X509Certificate root = chain.get(chain.size() - 1);
      if (!trust.contains(root)) trust.add(root);
    }
    return trust;
  }
}
