package imago.web.tls;

import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Who a hospital's client certificate says its holder is: a tenant and one AE title. The subject
 * carries both, {@code CN=<AE title>, OU=<tenant id>, O=Imago hospital}: what
 * {@code imago tls client-cert} writes, and what an operator's own CA must write for Imago to map
 * its certificates (one AE per certificate, so a leaked key speaks for one device only).
 */
public record PeerIdentity(String tenant, String aeTitle) {
  static final String ORGANISATION = "Imago hospital";

  public PeerIdentity {
    if (tenant == null || tenant.isBlank()) throw new IllegalArgumentException("a certificate needs a tenant");
    if (aeTitle == null || aeTitle.isBlank() || aeTitle.length() > 16) {
      throw new IllegalArgumentException("an AE title has 1 to 16 characters: '" + aeTitle + "'");
    }
  }

  X500Name subject() {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, ORGANISATION).addRDN(BCStyle.OU, tenant)
        .addRDN(BCStyle.CN, aeTitle).build();
  }

  /** The identity a (verified) certificate names; empty when its subject lacks a single CN or OU. */
  public static Optional<PeerIdentity> of(X509Certificate certificate) {
    X500Name name = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    Optional<String> ae = single(name, BCStyle.CN);
    Optional<String> tenant = single(name, BCStyle.OU);
    if (ae.isEmpty() || tenant.isEmpty() || ae.get().isBlank() || ae.get().length() > 16) return Optional.empty();
    return Optional.of(new PeerIdentity(tenant.get(), ae.get()));
  }

  private static Optional<String> single(X500Name name, ASN1ObjectIdentifier type) {
    RDN[] rdns = name.getRDNs(type);
    if (rdns.length != 1 || rdns[0].isMultiValued()) return Optional.empty();
    return rdns[0].getFirst().getValue() instanceof org.bouncycastle.asn1.ASN1String text
        ? Optional.of(text.getString()) : Optional.empty(); // the value itself, not its RFC 4514 escaped form
  }
}
