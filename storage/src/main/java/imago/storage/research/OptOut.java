package imago.storage.research;

import java.time.Instant;

/** A patient's objection to research use, recorded by their hospital: for one project, or every one ({@code project} null). */
public record OptOut(long id, String tenantId, String patientId, String project, String recordedBy, Instant recordedAt) {}
