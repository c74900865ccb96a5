package imago.node.dicomweb.qido;

import imago.core.dicom.json.DicomJson;
import imago.core.dicom.json.DicomJsonWriter;
import imago.storage.index.query.QueryAttribute;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One QIDO-RS result as DICOM JSON (PS3.18 Annex F, through Imago's conformant writer): the
 * attributes PS3.18 §10.6.3.3 requires for the level, those of the levels above when the search
 * was not within a study or series, the matching keys, the includefield ones, and RetrieveURL.
 */
final class QidoJson {
  static final int RETRIEVE_URL = 0x00081190;

  /** PS3.18 Table 10.6.3-3: Study's required return attributes (those the index keeps). */
  private static final List<Integer> STUDY = List.of(0x00080020, 0x00080030, 0x00080050, 0x00080056, 0x00080061,
      0x00080090, 0x00100010, 0x00100020, 0x00100030, 0x00100040, 0x0020000D, 0x00200010, 0x00201206, 0x00201208);
  /** PS3.18 Table 10.6.3-4: Series' (and the Study Instance UID, to place each series). */
  private static final List<Integer> SERIES = List.of(0x00080060, 0x0008103E, 0x00200011, 0x0020000E, 0x00201209,
      0x0020000D);
  /** PS3.18 Table 10.6.3-5: Instance's (and the Study and Series Instance UIDs). */
  private static final List<Integer> INSTANCE = List.of(0x00080016, 0x00080018, 0x00080056, 0x00200013, 0x00280010,
      0x00280011, 0x00280100, 0x00280008, 0x0020000D, 0x0020000E);

  private QidoJson() {}

  /** The tags each result of {@code query} carries (RetrieveURL aside). */
  static Set<Integer> returned(QidoQuery query) {
    QueryLevel level = query.request().level();
    Set<Integer> tags = new LinkedHashSet<>();
    if (query.includeAll()) {
      QueryAttributes.returnedAt(level).forEach(a -> tags.add(a.tag()));
      return tags;
    }
    // PS3.18 §10.6.3.3.2: searching all series adds the study attributes; all instances, study and series ones
    boolean allStudies = query.request().studyUid() == null;
    boolean allSeries = query.request().seriesUid() == null;
    switch (level) {
      case PATIENT, STUDY -> tags.addAll(STUDY);
      case SERIES -> {
        if (allStudies) tags.addAll(STUDY);
        tags.addAll(SERIES);
      }
      case INSTANCE -> {
        if (allStudies) tags.addAll(STUDY);
        if (allSeries) tags.addAll(SERIES);
        tags.addAll(INSTANCE);
      }
    }
    tags.addAll(query.matchingTags());
    tags.addAll(query.includeFields());
    return tags;
  }

  static DicomJsonWriter result(QueryMatch match, Set<Integer> tags, String dicomwebBase) {
    DicomJsonWriter out = DicomJson.dataset();
    for (int tag : tags) {
      String value = match.get(tag);
      QueryAttribute a = QueryAttributes.byTag(tag).orElse(null);
      if (value == null || a == null) continue; // not kept at this level (a series key at study level...)
      if (value.isEmpty()) out.empty(tag, a.vr());
      else out.string(tag, a.vr(), value.split("\\\\"));
    }
    return out.url(RETRIEVE_URL, retrieveUrl(match, dicomwebBase));
  }

  /** PS3.18 §10.6.3.3: where the result can be retrieved with WADO-RS. */
  static String retrieveUrl(QueryMatch match, String dicomwebBase) {
    StringBuilder url = new StringBuilder(dicomwebBase).append("/studies/").append(match.studyUid());
    if (match.level() == QueryLevel.SERIES || match.level() == QueryLevel.INSTANCE) {
      url.append("/series/").append(match.seriesUid());
    }
    if (match.level() == QueryLevel.INSTANCE) url.append("/instances/").append(match.sopInstanceUid());
    return url.toString();
  }
}
