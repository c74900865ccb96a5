package imago.web.tls;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM text (RFC 7468) in and out: private keys as PKCS #8 ({@code PRIVATE KEY}), certificates as
 * {@code CERTIFICATE}. Reading also takes what OpenSSL writes for RSA and EC keys, so an operator's
 * own files load as they are.
 */
public final class Pem {
  private Pem() {}

  /** Keys and certificates of one PEM text, in the order they appear. */
  public record Contents(List<PrivateKey> keys, List<X509Certificate> certificates) {
    public PrivateKey key(String where) {
      if (keys.size() != 1) throw new IllegalArgumentException(where + " holds " + keys.size() + " private keys, not one");
      return keys.get(0);
    }
  }

  public static String key(PrivateKey key) {
    return block("PRIVATE KEY", key.getEncoded());
  }

  public static String certificates(List<X509Certificate> chain) {
    StringBuilder out = new StringBuilder();
    for (X509Certificate c : chain) {
      try {
        out.append(block("CERTIFICATE", c.getEncoded()));
      } catch (CertificateException e) {
        throw new IllegalStateException("a certificate that cannot be encoded: " + e.getMessage(), e);
      }
    }
    return out.toString();
  }

  private static String block(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** Everything in {@code text}; {@code where} names it in errors (a file name). */
  public static Contents read(String text, String where) {
    List<PrivateKey> keys = new ArrayList<>();
    List<X509Certificate> certificates = new ArrayList<>();
    JcaPEMKeyConverter keyConverter = new JcaPEMKeyConverter();
    JcaX509CertificateConverter certConverter = new JcaX509CertificateConverter();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PrivateKeyInfo info) keys.add(keyConverter.getPrivateKey(info));
        else if (o instanceof PEMKeyPair pair) keys.add(keyConverter.getKeyPair(pair).getPrivate());
        else if (o instanceof X509CertificateHolder holder) certificates.add(certConverter.getCertificate(holder));
        else throw new IllegalArgumentException(where + ": unexpected PEM object " + o.getClass().getSimpleName()
            + " (expected unencrypted private keys and certificates)");
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(where + ": not readable PEM: " + e.getMessage(), e);
    }
    return new Contents(keys, certificates);
  }
}
