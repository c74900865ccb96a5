package imago.storage.research;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.deid.Deidentifier;
import imago.core.deid.PixelCleaner;
import imago.core.dicom.Uids;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryAttribute;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryRequest;
import imago.storage.index.query.QueryResult;
import imago.storage.object.ObjectStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What a research project sees: the studies of its consented hospitals that match its cohort
 * keys, less those of patients who opted out, each instance de-identified with the project's
 * {@link Deidentifier}. Consent and opt-outs are read again on every call, so a withdrawal or an
 * objection takes effect at once, on every node. Instances that may show identifying text in their
 * pixels ({@link Deidentifier#mayShowBurnedInText}) are left out, unless the project has a Clean
 * Pixel Data rule for their modality and their pixels are native: those are in, cleaned.
 */
public final class Cohort {
  /** Studies read per index query while the cohort is resolved. */
  private static final int PAGE = 1000;
  private static final int HEADER_CACHE = 4096;

  /** One study of the cohort: where it really is, and the UID the project knows it by. */
  public record Member(String tenantId, String studyUid, String pseudoStudyUid, QueryMatch study) {}

  /**
   * One instance of a member study, with its de-identified header (no Pixel Data) and project UIDs.
   * {@code cleaned}: its pixels are served with the project's Clean Pixel Data rule applied, not as stored.
   */
  public record Instance(Member member, StoredInstance stored, String pseudoSeriesUid, String pseudoSopUid,
      AttributeList header, boolean cleaned) {}

  /** A de-identified header, and whether its pixels need cleaning. */
  private record Header(AttributeList header, boolean cleaned) {}

  private final Index index;
  private final ObjectStore store;
  private final ResearchProjects projects;
  private final Function<ResearchProject, byte[]> keys;
  /** De-identified headers by project, instance and content; empty: an instance left out. */
  private final Map<String, Optional<Header>> headers = Collections.synchronizedMap(
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Optional<Header>> eldest) {
          return size() > HEADER_CACHE;
        }
      });

  /** @param keys a project's secret key (at least 32 bytes), derived inside Imago */
  public Cohort(Index index, ObjectStore store, ResearchProjects projects, Function<ResearchProject, byte[]> keys) {
    this.index = index;
    this.store = store;
    this.projects = projects;
    this.keys = keys;
  }

  public Deidentifier deidentifier(ResearchProject p) {
    return new Deidentifier(keys.apply(p), p.options());
  }

  /**
   * The project's cohort keys (keywords or eight hex digits, QIDO-RS values) as a study-level
   * query; refused (IllegalArgumentException) if one is not a DICOM attribute or the index cannot
   * match it at the study level.
   */
  public static QueryRequest query(Map<String, String> cohort) {
    Map<Integer, String> keys = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, String> e : cohort.entrySet()) {
      String id = e.getKey().trim();
      int tag;
      if (id.matches("[0-9A-Fa-f]{8}")) {
        tag = (int) Long.parseLong(id, 16);
      } else {
        Optional<QueryAttribute> known = QueryAttributes.byKeyword(id);
        AttributeTag t = known.isPresent() ? null : com.pixelmed.dicom.DicomDictionary.StandardDictionary.getTagFromName(id);
        if (known.isEmpty() && t == null) {
          throw new IllegalArgumentException("cohort key '" + id + "' is neither a DICOM keyword nor a tag (eight hex digits)");
        }
        tag = known.isPresent() ? known.get().tag() : (t.getGroup() << 16) | t.getElement();
      }
      Optional<QueryAttribute> a = QueryAttributes.byTag(tag);
      if (a.isEmpty() || !a.get().matchable() || a.get().level() != QueryLevel.STUDY && a.get().level() != QueryLevel.PATIENT) {
        throw new IllegalArgumentException("cohort key '" + id + "' cannot select studies: study keys are "
            + String.join(", ", QueryAttributes.returnedAt(QueryLevel.STUDY).stream().filter(QueryAttribute::matchable)
            .map(QueryAttribute::keyword).toList()));
      }
      keys.put(tag, e.getValue());
    }
    return QueryRequest.of(QueryLevel.STUDY, keys, PAGE);
  }

  /** Every study in the project's view now, hospital by hospital. */
  public List<Member> members(ResearchProject p) throws SqlUnavailableException {
    Deidentifier deid = deidentifier(p);
    QueryRequest q = query(p.cohort());
    List<Member> out = new ArrayList<>();
    for (String tenant : p.consentedTenants()) {
      Set<String> optedOut = projects.optedOut(tenant, p);
      for (int offset = 0; ; offset += PAGE) {
        QueryResult r;
        try {
          r = index.query(Scope.tenant(tenant), q.page(PAGE, offset));
        } catch (InvalidQueryException e) {
          throw new IllegalArgumentException("cohort: " + e.getMessage(), e);
        }
        for (QueryMatch m : r.matches()) {
          String patient = m.get(QueryAttributes.PATIENT_ID);
          if (optedOut.contains(patient == null ? "" : patient.trim())) continue;
          out.add(new Member(tenant, m.studyUid(), deid.uid(m.studyUid()), m));
        }
        if (!r.more() || r.matches().isEmpty()) break;
      }
    }
    return out;
  }

  /** The member study the project knows as {@code pseudoStudyUid}. */
  public Optional<Member> member(ResearchProject p, String pseudoStudyUid) throws SqlUnavailableException {
    return members(p).stream().filter(m -> m.pseudoStudyUid().equals(pseudoStudyUid)).findFirst();
  }

  /**
   * The instances of a member study the project may see, optionally only one series or instance
   * (by their project UIDs), in series then instance order of the index.
   */
  public List<Instance> instances(ResearchProject p, Member m, String pseudoSeriesUid, String pseudoSopUid)
      throws SqlUnavailableException, IOException {
    Deidentifier deid = deidentifier(p);
    List<Instance> out = new ArrayList<>();
    for (StoredInstance i : index.studyInstances(m.tenantId(), m.studyUid())) {
      String series = deid.uid(i.seriesUid());
      if (pseudoSeriesUid != null && !pseudoSeriesUid.equals(series)) continue;
      String sop = deid.uid(i.sopInstanceUid());
      if (pseudoSopUid != null && !pseudoSopUid.equals(sop)) continue;
      Optional<Header> header = header(p, deid, i);
      header.ifPresent(h -> out.add(new Instance(m, i, series, sop, h.header(), h.cleaned())));
    }
    return out;
  }

  /** The study-level attributes the index keeps for a member, de-identified as its instances are. */
  public AttributeList studyAttributes(ResearchProject p, Member m) throws DicomException {
    AttributeList l = new AttributeList();
    for (Map.Entry<Integer, String> e : m.study().values().entrySet()) {
      Optional<QueryAttribute> a = QueryAttributes.byTag(e.getKey());
      if (a.isEmpty() || e.getValue() == null) continue;
      Attribute attr = AttributeFactory.newAttribute(new AttributeTag(e.getKey() >>> 16, e.getKey() & 0xffff),
          a.get().vr().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      for (String v : e.getValue().isEmpty() ? new String[0] : e.getValue().split("\\\\", -1)) attr.addValue(v);
      l.put(attr);
    }
    AttributeList out = deidentifier(p).apply(l, m.tenantId());
    // what the method attributes say is about instances, not a query answer
    out.remove(TagFromName.DeidentificationMethodCodeSequence);
    return out;
  }

  /** The whole instance, Pixel Data included, de-identified (and cleaned where the instance is). */
  public AttributeList deidentified(ResearchProject p, Instance i) throws IOException {
    try (InputStream in = open(i.stored())) {
      AttributeList source = new AttributeList();
      source.read(new DicomInputStream(in));
      AttributeList out = deidentifier(p).apply(source, i.member().tenantId());
      if (i.cleaned() && !PixelCleaner.clean(out, p.cleanPixels().get(modality(source)))) {
        throw new IOException("instance " + i.pseudoSopUid() + " could not be cleaned after all");
      }
      return out;
    } catch (DicomException e) {
      throw new IOException("stored object " + i.stored().objectKey() + " cannot be read: " + e.getMessage(), e);
    }
  }

  private Optional<Header> header(ResearchProject p, Deidentifier deid, StoredInstance i) throws IOException {
    String key = p.id() + "/" + p.keySalt() + "/" + i.pk() + "/" + i.datasetSha256();
    Optional<Header> cached = headers.get(key);
    if (cached != null) return cached;
    Optional<Header> header;
    try (InputStream in = open(i)) {
      AttributeList source = new AttributeList();
      source.read(new DicomInputStream(in), TagFromName.PixelData);
      boolean burned = Deidentifier.mayShowBurnedInText(source);
      boolean clean = burned && p.cleanPixels().containsKey(modality(source))
          && PixelCleaner.cleanable(source, Uids.isNative(i.transferSyntaxUid()));
      if (burned && !clean) {
        header = Optional.empty();
      } else {
        AttributeList h = deid.apply(source, i.tenantId());
        if (clean) PixelCleaner.markCleaned(h);
        header = Optional.of(new Header(h, clean));
      }
    } catch (DicomException e) {
      throw new IOException("stored object " + i.objectKey() + " cannot be read: " + e.getMessage(), e);
    }
    headers.put(key, header);
    return header;
  }

  private static String modality(AttributeList l) {
    return Attribute.getSingleStringValueOrEmptyString(l, TagFromName.Modality).trim();
  }

  private InputStream open(StoredInstance i) throws IOException {
    return new BufferedInputStream(store.get(i.objectKey())
        .orElseThrow(() -> new IOException("stored object " + i.objectKey() + " is missing")), 64 * 1024);
  }
}
