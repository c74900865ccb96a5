package imago.storage.links;

import java.time.Instant;

/** One notification of the FSE gateway: a link's FHIR Bundle at one result version, to one endpoint. */
public record Delivery(long id, String endpoint, long linkId, long version, String payload, State state, int attempts,
    Instant nextAttemptAt, Integer lastStatus, String lastError, Instant createdAt, Instant deliveredAt) {

  public enum State { PENDING, DELIVERED }
}
