package imago.web.tls;

import imago.core.io.SecretFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority: Imago's own, generated on first start into {@code data/secrets/tls}
 * (its key and certificate in one 0600 file, created whole or not at all, so two processes
 * starting together end up with the same CA), or an operator's configured one. It signs Imago's
 * server certificate and the hospitals' client certificates. Keys are ECDSA P-256, signatures
 * SHA-256: inside BCP 195 and understood by dcmtk, browsers and the JDK alike.
 */
public final class LocalCa {
  /** A key and the certificate chain that goes with it, leaf first. */
  public record Issued(PrivateKey key, List<X509Certificate> chain) {
    public Issued {
      chain = List.copyOf(chain);
    }

    public X509Certificate certificate() {
      return chain.get(0);
    }
  }

  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** What browsers accept for a server certificate (CA/Browser Forum: 398 days at most). */
  static final Duration SERVER_VALIDITY = Duration.ofDays(397);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final PrivateKey key;
  private final X509Certificate certificate;
  private final Clock clock;

  LocalCa(PrivateKey key, X509Certificate certificate, Clock clock) {
    this.key = key;
    this.certificate = certificate;
    this.clock = clock;
  }

  /** {@code dir/ca.key.pem}, made on first use; its certificate is also written to {@code dir/ca.pem} to hand out. */
  public static LocalCa loadOrCreate(Path dir, Clock clock) throws IOException {
    Path file = dir.resolve("ca.key.pem");
    if (!Files.exists(file)) {
      KeyPair pair = newKeyPair();
      X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Imago")
          .addRDN(BCStyle.CN, "Imago local CA " + HexFormat.of().formatHex(RANDOM.generateSeed(4))).build();
      X509Certificate ca = sign(pair.getPrivate(), name, name, pair.getPublic(), Instant.now(clock), CA_VALIDITY,
          caExtensions(pair.getPublic()));
      SecretFiles.createOnce(file, Pem.key(pair.getPrivate()) + Pem.certificates(List.of(ca)));
    }
    LocalCa ca = fromPem(Files.readString(file, StandardCharsets.UTF_8), file.toString(), clock);
    Path published = dir.resolve("ca.pem");
    String pem = Pem.certificates(List.of(ca.certificate));
    if (!Files.exists(published) || !Files.readString(published, StandardCharsets.UTF_8).equals(pem)) {
      Path tmp = Files.createTempFile(dir, ".ca", ".tmp");
      Files.writeString(tmp, pem, StandardCharsets.UTF_8);
      Files.move(tmp, published, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    return ca;
  }

  /** An operator's CA: its key and certificate, in one PEM text or two. */
  public static LocalCa fromPem(String pem, String where, Clock clock) {
    Pem.Contents contents = Pem.read(pem, where);
    if (contents.certificates().isEmpty()) throw new IllegalArgumentException(where + " holds no CA certificate");
    X509Certificate cert = contents.certificates().get(0);
    if (cert.getBasicConstraints() < 0) throw new IllegalArgumentException(where + ": " + cert.getSubjectX500Principal()
        + " is not a CA certificate (no basicConstraints cA)");
    return new LocalCa(contents.key(where), cert, clock);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * A server certificate for HTTPS and DICOM TLS naming {@code names} (DNS names or IP
   * addresses), usable as a client certificate too: Imago presents it when it opens TLS
   * associations itself (C-MOVE destinations).
   */
  public Issued issueServer(String commonName, List<String> names) {
    KeyPair pair = newKeyPair();
    List<GeneralName> alt = new ArrayList<>();
    for (String n : new LinkedHashSet<>(names)) alt.add(generalName(n));
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Imago").addRDN(BCStyle.CN, commonName).build();
    List<Extension> ext = leafExtensions(pair.getPublic(), KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
    ext.add(extension(Extension.subjectAlternativeName, false, new GeneralNames(alt.toArray(GeneralName[]::new))));
    return issue(pair, subject, SERVER_VALIDITY, ext);
  }

  /** A hospital's client certificate for DICOM TLS: it names the tenant and the AE title it may associate as. */
  public Issued issueClient(PeerIdentity identity, Duration validity) {
    KeyPair pair = newKeyPair();
    return issue(pair, identity.subject(), validity, leafExtensions(pair.getPublic(), KeyPurposeId.id_kp_clientAuth));
  }

  private Issued issue(KeyPair pair, X500Name subject, Duration validity, List<Extension> extensions) {
    X509Certificate leaf = sign(key, X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), subject,
        pair.getPublic(), Instant.now(clock), validity, extensions);
    return new Issued(pair.getPrivate(), List.of(leaf, certificate));
  }

  private List<Extension> leafExtensions(PublicKey subjectKey, KeyPurposeId... purposes) {
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      List<Extension> ext = new ArrayList<>();
      ext.add(extension(Extension.basicConstraints, true, new BasicConstraints(false)));
      ext.add(extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature)));
      ext.add(extension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes)));
      ext.add(extension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey)));
      ext.add(extension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(certificate)));
      return ext;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Extension> caExtensions(PublicKey key) {
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      return new ArrayList<>(List.of(extension(Extension.basicConstraints, true, new BasicConstraints(0)),
          extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)),
          extension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key))));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Extension extension(org.bouncycastle.asn1.ASN1ObjectIdentifier oid, boolean critical,
      org.bouncycastle.asn1.ASN1Encodable value) {
    try {
      return new Extension(oid, critical, value.toASN1Primitive().getEncoded());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static GeneralName generalName(String name) {
    boolean ip = name.matches("[0-9.]+") || name.contains(":");
    if (ip) {
      try {
        InetAddress.getByName(name); // a literal: no lookup happens
        return new GeneralName(GeneralName.iPAddress, name);
      } catch (IOException e) {
        throw new IllegalArgumentException("not an IP address: " + name, e);
      }
    }
    return new GeneralName(GeneralName.dNSName, name);
  }

  private static X509Certificate sign(PrivateKey signer, X500Name issuer, X500Name subject, PublicKey subjectKey,
      Instant now, Duration validity, List<Extension> extensions) {
    // Backdated an hour: a peer whose clock runs a little behind still accepts a certificate made just now.
    Instant from = now.minus(Duration.ofHours(1));
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).add(BigInteger.ONE),
        Date.from(from), Date.from(now.plus(validity)), subject, subjectKey);
    try {
      for (Extension e : extensions) builder.addExtension(e);
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(signatureAlgorithm(signer)).build(signer)));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("could not sign a certificate: " + e.getMessage(), e);
    }
  }

  /** SHA-256 with whatever key the CA has: our own are EC, an operator's may be RSA. */
  private static String signatureAlgorithm(PrivateKey signer) {
    return switch (signer.getAlgorithm()) {
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> throw new IllegalArgumentException("a CA key of type " + signer.getAlgorithm() + " (EC or RSA expected)");
    };
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 in this JDK: " + e.getMessage(), e);
    }
  }

  /** The names a generated server certificate always carries besides the configured ones. */
  static Set<String> localNames() {
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    try {
      names.add(InetAddress.getLocalHost().getHostName());
    } catch (IOException e) {
      // no resolvable host name: localhost and the configured names only
    }
    return names;
  }
}
