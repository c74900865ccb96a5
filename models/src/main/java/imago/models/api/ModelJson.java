package imago.models.api;

import imago.storage.models.ModelEvent;
import imago.storage.models.ModelVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The registry's JSON: a version as the API answers it. */
final class ModelJson {
  private ModelJson() {}

  static JsonObject version(ModelVersion v, List<ModelEvent> history) {
    String self = "/models/" + v.name() + "/versions/" + v.version();
    JsonObject json = new JsonObject()
        .put("name", v.name())
        .put("version", v.version())
        .put("tenant", v.tenantId())
        .put("framework", v.framework())
        .put("task", v.task())
        .put("state", v.state().id());
    if (v.mode() != null) json.put("mode", v.mode());
    if (v.reason() != null) json.put("reason", v.reason());
    json.put("artifact", new JsonObject().put("key", v.artifactKey()).put("sha256", v.artifactSha256())
            .put("size", v.artifactSize()).put("href", self + "/artifact"))
        .put("deviceUID", v.deviceUid())
        .put("registeredBy", v.registeredBy())
        .put("registeredAt", v.registeredAt().toString())
        .put("updatedAt", v.updatedAt().toString())
        .put("manifest", new JsonObject(v.manifestJson()));
    if (v.validationJson() != null) json.put("validation", new JsonObject(v.validationJson()));
    if (history != null) {
      JsonArray events = new JsonArray();
      for (ModelEvent e : history) {
        JsonObject ev = new JsonObject().put("at", e.at().toString()).put("to", e.to().id()).put("by", e.actor());
        if (e.from() != null) ev.put("from", e.from().id());
        if (e.detail() != null) ev.put("detail", e.detail());
        events.add(ev);
      }
      json.put("history", events);
    }
    json.put("links", new JsonObject().put("self", self).put("artifact", self + "/artifact")
        .put("manifest", self + "/manifest").put("activate", self + "/activate").put("retire", self + "/retire"));
    return json;
  }
}
