package imago.web.tls;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLParameters;

/**
 * The BCP 195 TLS profile (PS3.15 Annex B.9, RFC 9325): TLS 1.2 and 1.3 only, and for TLS 1.2
 * only ECDHE key exchange with AEAD ciphers, so every session has forward secrecy. dcmtk's
 * default "non-downgrading BCP 195" profile and current browsers negotiate these.
 */
public final class Bcp195 {
  private Bcp195() {}

  public static final Set<String> PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");

  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /** {@code parameters} limited to the profile (the suites this JDK supports of it). */
  public static SSLParameters apply(SSLParameters parameters, String[] supportedSuites) {
    List<String> supported = Arrays.asList(supportedSuites);
    parameters.setProtocols(PROTOCOLS.stream().sorted().toArray(String[]::new));
    parameters.setCipherSuites(CIPHER_SUITES.stream().filter(supported::contains).toArray(String[]::new));
    parameters.setUseCipherSuitesOrder(true);
    return parameters;
  }
}
