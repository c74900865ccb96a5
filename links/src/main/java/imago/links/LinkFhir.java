package imago.links;

import imago.links.fhir.FhirLinkBundle;
import imago.links.fhir.InstanceView;
import imago.links.fhir.SeriesView;
import imago.links.fhir.StudyView;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.links.Link;
import imago.storage.results.AiResults;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A link's FHIR Bundle from what Imago holds now: the study from the index, its AI results from
 * the results read model. Its version is the number of finished results, so it changes exactly
 * when a result attaches.
 */
final class LinkFhir {
  private final Index index;
  private final AiResults aiResults;

  LinkFhir(Index index, AiResults aiResults) {
    this.index = index;
    this.aiResults = aiResults;
  }

  /** The Bundle as JSON and its result version. */
  record Rendered(String json, long version) {}

  Rendered render(Link link, String wadoRsBase, String viewerUrl) throws SqlUnavailableException {
    StudyContents contents = StudyContents.of(index, link.tenantId(), link.studyUid());
    AiResults.OfStudy ai = aiResults.ofStudy(link.tenantId(), link.studyUid());
    List<JsonObject> results = new ArrayList<>();
    for (String result : ai.results()) results.add(new JsonObject(result));
    long version = ai.version();
    String json = FhirLinkBundle.json(view(link, contents), results, ai.pending(), wadoRsBase, viewerUrl,
        "link-" + link.id() + "-v" + version);
    return new Rendered(json, version);
  }

  /** How many results the study has now (what a notification's version is). */
  long version(Link link) throws SqlUnavailableException {
    return aiResults.ofStudy(link.tenantId(), link.studyUid()).version();
  }

  static StudyView view(Link link, StudyContents contents) {
    Map<String, List<StudyContents.Entry>> bySeries = new LinkedHashMap<>();
    for (StudyContents.Entry e : contents.entries()) {
      bySeries.computeIfAbsent(e.stored().seriesUid(), k -> new ArrayList<>()).add(e);
    }
    List<SeriesView> series = new ArrayList<>();
    for (List<StudyContents.Entry> entries : bySeries.values()) {
      StudyContents.Entry first = entries.get(0);
      List<InstanceView> instances = new ArrayList<>();
      for (StudyContents.Entry e : entries) {
        int n = e.intValue("00200013", -1);
        instances.add(new InstanceView(e.stored().sopInstanceUid(), e.stored().sopClassUid(), n < 0 ? null : n));
      }
      int number = first.intValue("00200011", -1);
      series.add(new SeriesView(first.stored().seriesUid(), first.value("00080060"), number < 0 ? null : number,
          first.value("0008103E"), first.value("00180015"), instances));
    }
    StudyContents.Entry any = contents.entries().isEmpty() ? null : contents.entries().get(0);
    return new StudyView(link.tenantId(), any == null ? null : any.value("00100020"), any == null ? null : any.value("00100010"),
        link.studyUid(), any == null ? null : any.value("00080050"), any == null ? null : any.value("00080020"),
        any == null ? null : any.value("00080030"), any == null ? null : any.value("00081030"), series);
  }
}
