package imago.storage.index;

import java.time.Instant;

/**
 * One access to patient data: who (subject, tenant, role), what (action and UIDs), when, how
 * (the service: QIDO-RS, WADO-RS, WADO-URI, C-FIND, C-MOVE, C-GET, viewer), from where, and
 * whose copy of the study it was ({@code ownerTenantId}: the caller's own, or the tenant that
 * shared it).
 */
public record AuditEvent(Instant at, String subject, String tenantId, String role, String action, String studyUid,
    String seriesUid, String sopUid, String via, String remote, String ownerTenantId) {}
