package imago.core.tenant;

/** Who is calling: a person or system within a tenant, known by a bearer token (HTTP) or an AE title (DIMSE). */
public record Caller(String subject, String tenantId, Role role) {

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
}
