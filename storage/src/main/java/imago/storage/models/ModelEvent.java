package imago.storage.models;

import java.time.Instant;

/** One lifecycle step of a model version: who moved it from which state to which, and why. */
public record ModelEvent(Instant at, ModelState from, ModelState to, String actor, String detail) {}
