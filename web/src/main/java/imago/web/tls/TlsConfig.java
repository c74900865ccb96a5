package imago.web.tls;

import java.time.Duration;
import java.util.List;

/**
 * The {@code tls} section: the server certificate HTTPS and DICOM TLS present, which CAs vouch
 * for hospitals' client certificates, and what outbound connections trust (see
 * imago-defaults.yaml). Empty paths mean Imago's local CA under {@code data/secrets/tls}.
 *
 * @param certificate PEM certificate chain of the server, leaf first; empty: issued by the local CA
 * @param key PEM private key of {@code certificate}
 * @param serverNames DNS names and addresses a generated server certificate names besides this host's
 * @param ca PEM key and certificate of the CA that signs hospitals' certificates; empty: the local CA
 * @param clientCas PEM files of further CAs whose client certificates DICOM TLS accepts
 * @param clientCertValidity how long a certificate {@code imago tls client-cert} writes is valid
 * @param trust PEM file of further CAs that outbound TLS trusts (FSE webhooks, C-MOVE destinations over TLS)
 */
public record TlsConfig(String certificate, String key, List<String> serverNames, String ca, List<String> clientCas,
    Duration clientCertValidity, String trust) {
  public TlsConfig {
    certificate = certificate == null ? "" : certificate.trim();
    key = key == null ? "" : key.trim();
    serverNames = serverNames == null ? List.of() : List.copyOf(serverNames);
    ca = ca == null ? "" : ca.trim();
    clientCas = clientCas == null ? List.of() : List.copyOf(clientCas);
    clientCertValidity = clientCertValidity == null ? Duration.ofDays(730) : clientCertValidity;
    trust = trust == null ? "" : trust.trim();
    if (certificate.isEmpty() != key.isEmpty()) {
      throw new IllegalArgumentException("tls.certificate and tls.key go together: set both or neither");
    }
  }

  /** Everything from the local CA. */
  public static TlsConfig local() {
    return new TlsConfig("", "", List.of(), "", List.of(), null, "");
  }
}
