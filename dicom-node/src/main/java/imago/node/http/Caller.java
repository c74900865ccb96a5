package imago.node.http;

/** Who is calling over HTTP, from the bearer token: a person or system within a tenant. */
public record Caller(String subject, String tenantId, Role role) {

  /** Roles (DESIGN.md, access). */
  public enum Role {
    HOSPITAL, RADIOLOGIST, RESEARCHER, ADMIN;

    public static Role parse(String value) {
      return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }
}
