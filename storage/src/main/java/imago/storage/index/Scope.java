package imago.storage.index;

import java.time.Instant;

/**
 * What a caller may see (invariant 3): the studies of its own tenant, plus the studies explicitly
 * shared with its subject and not yet expired. DIMSE peers have no subject, so no shares.
 */
public record Scope(String tenantId, String subject) {

  public static Scope tenant(String tenantId) {
    return new Scope(tenantId, null);
  }

  /**
   * The SQL condition on a {@code studies} row aliased {@code st}; binds with {@link #bind}.
   * Three parameters: tenant, subject, now.
   */
  public static final String STUDY_CONDITION = "(st.tenant_id = ? OR EXISTS (SELECT 1 FROM shares sh "
      + "WHERE sh.study_pk = st.pk AND sh.grantee = ? AND sh.expires_at > ?))";

  /** The parameters of {@link #STUDY_CONDITION}, in order (for {@code Jdbc.bind}). */
  public Object[] bind() {
    return new Object[] {tenantId, subject == null ? "" : subject, Instant.now()};
  }
}
