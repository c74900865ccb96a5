package imago.web.tls;

import imago.core.io.SecretFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys and trust of one Imago process: the server certificate HTTPS and DICOM TLS present
 * (configured, or issued by the local CA on first start and renewed when it nears its end or the
 * names it must carry change), the CAs whose client certificates DICOM TLS accepts, and what
 * outbound connections trust (the JDK's CAs, the local CA and {@code tls.trust}).
 */
public final class TlsMaterial {
  private static final Logger LOG = LoggerFactory.getLogger(TlsMaterial.class);
  /** A generated server certificate is renewed at start-up when less than this is left. */
  static final Duration RENEW_BEFORE = Duration.ofDays(30);

  private final LocalCa signer;
  private final LocalCa.Issued server;
  private final List<X509Certificate> clientCas;
  /** CAs that vouch for one tenant's AEs only (tenants[].clientCas), by certificate. */
  private final java.util.Map<X509Certificate, String> tenantCas;
  private final X509KeyManager keyManager;
  private final SSLContext clientContext;
  private final Path generatedBy;

  private TlsMaterial(LocalCa signer, LocalCa.Issued server, List<X509Certificate> clientCas,
      java.util.Map<X509Certificate, String> tenantCas, List<X509Certificate> outboundCas, Path generatedBy) {
    this.tenantCas = java.util.Map.copyOf(tenantCas);
    this.keyManager = newKeyManager(server);
    this.generatedBy = generatedBy;
    this.signer = signer;
    this.server = server;
    this.clientCas = List.copyOf(clientCas);
    this.clientContext = context(keyManager, trustManager(outboundCas, true));
  }

  /** The folder under the data folder where the local CA and generated certificates live. */
  public static Path directory(Path data) {
    return data.resolve("secrets").resolve("tls");
  }

  /** The CA that signs hospitals' certificates: {@code tls.ca}, else the local CA (made on first use). */
  public static LocalCa signer(TlsConfig config, Path data, Clock clock) throws IOException {
    if (!config.ca().isEmpty()) return LocalCa.fromPem(read(config.ca()), config.ca(), clock);
    SecretFiles.privateDirectory(data.resolve("secrets"));
    SecretFiles.privateDirectory(directory(data));
    return LocalCa.loadOrCreate(directory(data), clock);
  }

  /** Loads (or makes) everything; {@code names} are what a generated server certificate must name besides the usual. */
  public static TlsMaterial open(TlsConfig config, Path data, Collection<String> names, Clock clock) throws IOException {
    return open(config, data, names, clock, java.util.Map.of());
  }

  /**
   * As above, with each tenant's own CAs ({@code tenants[].clientCas}: tenant id to PEM files): a
   * certificate one of them signs is accepted for that tenant's AEs only.
   */
  public static TlsMaterial open(TlsConfig config, Path data, Collection<String> names, Clock clock,
      java.util.Map<String, List<String>> tenantCaFiles) throws IOException {
    LocalCa signer = signer(config, data, clock);
    LocalCa.Issued server;
    if (!config.certificate().isEmpty()) {
      Pem.Contents chain = Pem.read(read(config.certificate()), config.certificate());
      if (chain.certificates().isEmpty()) throw new IllegalArgumentException(config.certificate() + " holds no certificate");
      server = new LocalCa.Issued(Pem.read(read(config.key()), config.key()).key(config.key()), chain.certificates());
    } else {
      Set<String> wanted = new LinkedHashSet<>(LocalCa.localNames());
      wanted.addAll(config.serverNames());
      wanted.addAll(names);
      server = generatedServer(signer, directory(data), wanted, clock);
    }
    List<X509Certificate> clientCas = new ArrayList<>(List.of(signer.certificate()));
    for (String file : config.clientCas()) clientCas.addAll(Pem.read(read(file), file).certificates());
    java.util.Map<X509Certificate, String> tenantCas = new java.util.HashMap<>();
    for (var e : tenantCaFiles.entrySet()) {
      for (String file : e.getValue()) {
        for (X509Certificate ca : Pem.read(read(file), file).certificates()) {
          if (clientCas.contains(ca)) continue; // a CA trusted for all stays for all
          String other = tenantCas.put(ca, e.getKey());
          if (other != null && !other.equals(e.getKey())) {
            throw new IllegalArgumentException("the CA " + ca.getSubjectX500Principal() + " is in the clientCas of tenants "
                + other + " and " + e.getKey() + ": a tenant's CA vouches for that tenant only");
          }
        }
      }
    }
    List<X509Certificate> outbound = new ArrayList<>(List.of(signer.certificate()));
    if (!config.trust().isEmpty()) outbound.addAll(Pem.read(read(config.trust()), config.trust()).certificates());
    Path generatedBy = config.certificate().isEmpty() && config.ca().isEmpty() ? directory(data).resolve("ca.pem") : null;
    return new TlsMaterial(signer, server, clientCas, tenantCas, outbound, generatedBy);
  }

  private static LocalCa.Issued generatedServer(LocalCa signer, Path dir, Set<String> names, Clock clock) throws IOException {
    Path file = dir.resolve("server.pem");
    if (Files.exists(file)) {
      Pem.Contents pem = Pem.read(Files.readString(file, StandardCharsets.UTF_8), file.toString());
      LocalCa.Issued existing = new LocalCa.Issued(pem.key(file.toString()), pem.certificates());
      if (stillGood(existing, signer, names, clock)) return existing;
    }
    LocalCa.Issued issued = signer.issueServer("Imago", List.copyOf(names));
    Path tmp = Files.createTempFile(dir, ".server", ".tmp",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, Pem.key(issued.key()) + Pem.certificates(issued.chain()), StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    LOG.info("event=tls.certificate.generated file={} names=\"{}\" note=\"signed by Imago's local CA ({}); hand "
        + "{}/ca.pem to clients that should trust it, or set tls.certificate and tls.key\"", file, String.join(",", names),
        signer.certificate().getSubjectX500Principal().getName(), dir);
    return issued;
  }

  private static boolean stillGood(LocalCa.Issued cert, LocalCa signer, Set<String> names, Clock clock) {
    X509Certificate leaf = cert.certificate();
    if (cert.chain().size() < 2 || !cert.chain().get(1).equals(signer.certificate())) return false;
    if (leaf.getNotAfter().toInstant().isBefore(Instant.now(clock).plus(RENEW_BEFORE))) return false;
    Set<String> has = new LinkedHashSet<>();
    try {
      if (leaf.getSubjectAlternativeNames() != null) {
        for (List<?> n : leaf.getSubjectAlternativeNames()) has.add(String.valueOf(n.get(1)));
      }
    } catch (GeneralSecurityException e) {
      return false;
    }
    for (String n : names) {
      if (!has.contains(n) && !has.contains(normalisedIp(n))) return false;
    }
    return true;
  }

  /** The JDK writes IPv6 SANs in full ("0:0:0:0:0:0:0:1"). */
  private static String normalisedIp(String name) {
    if (!name.contains(":")) return name;
    try {
      return java.net.InetAddress.getByName(name).getHostAddress();
    } catch (IOException e) {
      return name;
    }
  }

  private static String read(String file) throws IOException {
    return Files.readString(Path.of(file), StandardCharsets.UTF_8);
  }

  /** The local CA's certificate file when it issued the server certificate (what clients must trust); empty otherwise. */
  public java.util.Optional<Path> generatedBy() {
    return java.util.Optional.ofNullable(generatedBy);
  }

  public LocalCa signer() {
    return signer;
  }

  public X509Certificate serverCertificate() {
    return server.certificate();
  }

  /** The server's key and certificate, for HTTPS, DICOM TLS and every outbound TLS connection. */
  public X509KeyManager keyManager() {
    return keyManager;
  }

  /** Outbound connections: presents the server certificate, trusts the JDK's CAs, the local CA and {@code tls.trust}. */
  public SSLContext clientContext() {
    return clientContext;
  }

  private static X509KeyManager newKeyManager(LocalCa.Issued server) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] none = new char[0];
      store.setKeyEntry("imago", server.key(), none, server.chain().toArray(X509Certificate[]::new));
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, none);
      for (KeyManager m : factory.getKeyManagers()) if (m instanceof X509KeyManager x) return x;
      throw new IllegalStateException("no X.509 key manager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("server key unusable: " + e.getMessage(), e);
    }
  }

  /** DICOM TLS's server side: presents the server certificate, accepts client certificates of the client CAs only. */
  public SSLContext dicomServerContext() {
    List<X509Certificate> anchors = new ArrayList<>(clientCas);
    anchors.addAll(tenantCas.keySet());
    return context(keyManager(), trustManager(anchors, false));
  }

  private static SSLContext context(X509KeyManager keys, X509TrustManager trust) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {keys}, new TrustManager[] {trust}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509TrustManager trustManager(List<X509Certificate> cas, boolean withJdkCas) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate ca : cas) store.setCertificateEntry("ca-" + i++, ca);
      if (withJdkCas) {
        TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jdk.init((KeyStore) null);
        for (TrustManager m : jdk.getTrustManagers()) {
          if (m instanceof X509TrustManager x) for (X509Certificate ca : x.getAcceptedIssuers()) store.setCertificateEntry("jdk-" + i++, ca);
        }
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager m : factory.getTrustManagers()) if (m instanceof X509TrustManager x) return x;
      throw new IllegalStateException("no X.509 trust manager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("trust store unusable: " + e.getMessage(), e);
    }
  }

  /**
   * The one tenant a verified client certificate chain may speak for, when the CA it chains to is
   * a tenant's own ({@code tenants[].clientCas}); empty when it is Imago's CA (or tls.ca,
   * tls.clientCas), which vouch for every tenant.
   */
  public java.util.Optional<String> vouchedTenant(java.security.cert.Certificate[] chain) {
    // From the leaf up: the first certificate one of our CAs signed decides. Certificates a client
    // appends beyond that (Imago's own CA, which every hospital holds) cannot widen the scope.
    for (java.security.cert.Certificate c : chain) {
      X509Certificate cert = (X509Certificate) c;
      for (var e : tenantCas.entrySet()) if (signedBy(cert, e.getKey())) return java.util.Optional.of(e.getValue());
      for (X509Certificate ca : clientCas) if (signedBy(cert, ca)) return java.util.Optional.empty();
    }
    return java.util.Optional.of(""); // verified by the handshake, yet by none of ours: no tenant
  }

  private static boolean signedBy(X509Certificate cert, X509Certificate ca) {
    if (cert.equals(ca)) return true;
    if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) return false;
    try {
      cert.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
