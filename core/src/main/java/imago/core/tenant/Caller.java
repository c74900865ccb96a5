package imago.core.tenant;

/**
 * Who is calling: a person or system within a tenant, known by a bearer token (HTTP) or an AE title
 * (DIMSE).
 *
 * @param issuer who vouched for {@code subject}: null for Imago itself (its own tokens, AE titles,
 *     links), else the identity provider's issuer; the same subject from two issuers is two people
 */
public record Caller(String subject, String tenantId, Role role, String issuer) {

  /**
   * Roles (DESIGN.md, access). {@code ADMIN} administers its own tenant. {@code REGION} is the
   * region's operator, above every tenant: it alone activates models, since an active model runs
   * on every hospital's studies. {@code LINK} is the holder of an FSE capability link: it reads the
   * link's one study and nothing else, and no bearer token can claim it.
   */
  public enum Role {
    HOSPITAL, RADIOLOGIST, RESEARCHER, ADMIN, REGION, LINK;

    public static Role parse(String value) {
      return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** A caller Imago itself vouches for. */
  public Caller(String subject, String tenantId, Role role) {
    this(subject, tenantId, role, null);
  }

  /** The subject qualified by its issuer: what shares are granted to and the audit records. */
  public String principal() {
    return principal(issuer, subject);
  }

  /** {@code subject} as Imago's own (no issuer), else {@code issuer + " " + subject} (issuers are URLs: no spaces). */
  public static String principal(String issuer, String subject) {
    return issuer == null ? subject : issuer + " " + subject;
  }
}
