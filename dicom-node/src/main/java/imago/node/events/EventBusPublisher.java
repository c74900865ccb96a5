package imago.node.events;

import imago.core.events.Events;
import imago.storage.index.StoredInstance;
import imago.storage.ingest.IngestListener;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** Announces each durable instance on the event bus as {@code instance.stored}. */
public final class EventBusPublisher implements IngestListener {
  private final Vertx vertx;

  public EventBusPublisher(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public void stored(StoredInstance i) {
    vertx.eventBus().publish(Events.INSTANCE_STORED, new JsonObject()
        .put("tenant", i.tenantId())
        .put("studyUid", i.studyUid())
        .put("seriesUid", i.seriesUid())
        .put("sopInstanceUid", i.sopInstanceUid())
        .put("sopClassUid", i.sopClassUid())
        .put("objectKey", i.objectKey()));
  }
}
