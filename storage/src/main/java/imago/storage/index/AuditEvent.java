package imago.storage.index;

import java.time.Instant;

/**
 * One access to patient data: who (subject, tenant, role), what (action and UIDs), when, how
 * (the service: QIDO-RS, WADO-RS, WADO-URI, C-FIND, C-MOVE, C-GET, viewer) and from where.
 */
public record AuditEvent(Instant at, String subject, String tenantId, String role, String action, String studyUid,
    String seriesUid, String sopUid, String via, String remote) {}
