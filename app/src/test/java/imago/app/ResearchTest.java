package imago.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import imago.core.config.Config;
import imago.core.dicom.Uids;
import imago.core.synthetic.ChestPhantoms;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Research projects (issue 18) end to end against a running Imago: a hospital's CT study carrying
 * identities everywhere (names, IDs, institution, physicians, private tags, nested items) and a
 * key object selection pointing at its images; a second patient who opts out; a second hospital
 * that consents later. What a project's researchers get, through the export and the de-identified
 * DICOMweb view, is checked attribute by attribute, and nobody else gets anything.
 */
class ResearchTest {
  @TempDir static Path tmp;
  static TestImago imago;
  static Config config;
  static final String NAME = "Rossi^Mario";
  static final String ID = "RSSMRA80A01F205X";
  static final String OPTED_OUT = "BNCLRA75B41F205Y";
  /** Strings of the source data that no exported byte may carry. */
  static final List<String> IDENTITIES = List.of("Rossi", ID, "Niguarda", "Verdi", "ACME", "Bianchi", OPTED_OUT, "ACC-7781",
      "Via Larga", "Ferrari");
  static CtPhantomStudy rossi;
  static CtPhantomStudy optedOut;
  static CtPhantomStudy elsewhere;
  static String kosUid;
  /** Every UID of the source data. */
  static final Set<String> SOURCE_UIDS = new HashSet<>();

  @BeforeAll
  static void start() throws Exception {
    imago = TestImago.start(tmp.resolve("data"));
    config = Config.load(null, Map.of(), TestImago.overrides(tmp.resolve("data")));
    rossi = CtPhantomStudy.write(tmp.resolve("rossi"), ID);
    List<byte[]> parts = new ArrayList<>();
    for (Path f : rossi.files) parts.add(Files.readAllBytes(identify(f, NAME, ID)));
    kosUid = Uids.random();
    parts.add(keyObjects(rossi, kosUid));
    assertEquals(200, imago.stow(imago.token("demo", Caller.Role.HOSPITAL), null, parts).statusCode());
    optedOut = CtPhantomStudy.write(tmp.resolve("bianchi"), OPTED_OUT);
    parts.clear();
    for (Path f : optedOut.files) parts.add(Files.readAllBytes(identify(f, "Bianchi^Laura", OPTED_OUT)));
    assertEquals(200, imago.stow(imago.token("demo", Caller.Role.HOSPITAL), null, parts).statusCode());
    elsewhere = CtPhantomStudy.write(tmp.resolve("ferrari"), "FRRGNN60C03L219Z");
    parts.clear();
    for (Path f : elsewhere.files) parts.add(Files.readAllBytes(identify(f, "Ferrari^Giovanni", "FRRGNN60C03L219Z")));
    assertEquals(200, imago.stow(imago.token("other", Caller.Role.HOSPITAL), null, parts).statusCode());
    for (CtPhantomStudy s : List.of(rossi, optedOut, elsewhere)) {
      SOURCE_UIDS.add(s.studyUid);
      SOURCE_UIDS.add(s.seriesUid);
      SOURCE_UIDS.addAll(s.sopInstanceUids);
    }
    SOURCE_UIDS.add(kosUid);
  }

  @AfterAll
  static void stop() {
    imago.close();
  }

  /** Adds identities where a careless copy would keep them: nested items, private attributes, free text. */
  static Path identify(Path file, String name, String id) throws Exception {
    AttributeList l = new AttributeList();
    l.read(file.toFile());
    PhantomStudy.text(l, TagFromName.PatientName, name);
    PhantomStudy.text(l, TagFromName.PatientID, id);
    PhantomStudy.text(l, TagFromName.IssuerOfPatientID, "Ospedale Niguarda");
    PhantomStudy.text(l, TagFromName.InstitutionName, "Ospedale Niguarda");
    PhantomStudy.text(l, TagFromName.InstitutionAddress, "Via Larga 1, Milano");
    PhantomStudy.text(l, TagFromName.ReferringPhysicianName, "Verdi^Giuseppe");
    PhantomStudy.text(l, TagFromName.PerformingPhysicianName, "Verdi^Giuseppe");
    PhantomStudy.text(l, TagFromName.AccessionNumber, "ACC-7781");
    PhantomStudy.text(l, TagFromName.PatientBirthDate, "19800101");
    PhantomStudy.text(l, TagFromName.StudyDate, "20240315");
    PhantomStudy.text(l, TagFromName.SeriesDate, "20240315");
    PhantomStudy.text(l, TagFromName.ImageComments, "paziente " + name + " " + id);
    lo(l, new AttributeTag(0x0009, 0x0010), "ACME");
    lo(l, new AttributeTag(0x0009, 0x1001), name + " " + id);
    SequenceAttribute others = new SequenceAttribute(TagFromName.OtherPatientIDsSequence);
    AttributeList other = new AttributeList();
    PhantomStudy.text(other, TagFromName.PatientID, id);
    PhantomStudy.text(other, TagFromName.IssuerOfPatientID, "Ospedale Niguarda");
    PhantomStudy.text(other, TagFromName.TypeOfPatientID, "TEXT");
    others.addItem(other);
    l.put(others);
    SequenceAttribute request = new SequenceAttribute(TagFromName.RequestAttributesSequence);
    AttributeList item = new AttributeList();
    PhantomStudy.text(item, TagFromName.RequestedProcedureID, "ACC-7781");
    PhantomStudy.text(item, TagFromName.ScheduledProcedureStepDescription, "TC torace " + name);
    lo(item, new AttributeTag(0x0009, 0x0010), "ACME");
    lo(item, new AttributeTag(0x0009, 0x1002), id);
    request.addItem(item);
    l.put(request);
    l.write(file.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
    return file;
  }

  /** A private attribute (LO: no dictionary knows its VR). */
  static void lo(AttributeList l, AttributeTag tag, String value) throws Exception {
    Attribute a = new com.pixelmed.dicom.LongStringAttribute(tag);
    a.addValue(value);
    l.put(a);
  }

  /** A Key Object Selection that points at every image of {@code study}: references the export must keep resolving. */
  static byte[] keyObjects(CtPhantomStudy study, String sop) throws Exception {
    AttributeList l = new AttributeList();
    PhantomStudy.text(l, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.88.59");
    PhantomStudy.text(l, TagFromName.SOPInstanceUID, sop);
    PhantomStudy.header(l, ID, study.studyUid, Uids.random(), "KO");
    PhantomStudy.text(l, TagFromName.PatientName, NAME);
    PhantomStudy.text(l, TagFromName.SeriesNumber, "99");
    PhantomStudy.text(l, TagFromName.InstanceNumber, "1");
    PhantomStudy.text(l, TagFromName.ContentDate, "20240315");
    PhantomStudy.text(l, TagFromName.ContentTime, "101500");
    SequenceAttribute sops = new SequenceAttribute(TagFromName.ReferencedSOPSequence);
    for (String uid : study.sopInstanceUids) {
      AttributeList r = new AttributeList();
      PhantomStudy.text(r, TagFromName.ReferencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
      PhantomStudy.text(r, TagFromName.ReferencedSOPInstanceUID, uid);
      sops.addItem(r);
    }
    AttributeList series = new AttributeList();
    PhantomStudy.text(series, TagFromName.SeriesInstanceUID, study.seriesUid);
    series.put(sops);
    SequenceAttribute seriesSeq = new SequenceAttribute(TagFromName.ReferencedSeriesSequence);
    seriesSeq.addItem(series);
    AttributeList studyItem = new AttributeList();
    PhantomStudy.text(studyItem, TagFromName.StudyInstanceUID, study.studyUid);
    studyItem.put(seriesSeq);
    SequenceAttribute evidence = new SequenceAttribute(TagFromName.CurrentRequestedProcedureEvidenceSequence);
    evidence.addItem(studyItem);
    l.put(evidence);
    FileMetaInformation.addFileMetaInformation(l, TransferSyntax.ExplicitVRLittleEndian, "IMAGOTEST");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    l.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
    return out.toByteArray();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  static String researcher(String subject) {
    return imago.imago.auth().mint(subject, "demo", Caller.Role.RESEARCHER, Duration.ofHours(1));
  }

  static String admin(String tenant) {
    return imago.token(tenant, Caller.Role.ADMIN);
  }

  static HttpResponse<String> post(String token, String path, JsonObject body) throws Exception {
    return new ResearchFixture(imago).post(token, path, body);
  }

  static HttpResponse<byte[]> get(String token, String path, String accept) throws Exception {
    return imago.http().send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + path)).header("Authorization", "Bearer " + token)
        .header("Accept", accept).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static JsonArray qido(String token, String path) throws Exception {
    HttpResponse<byte[]> r = get(token, path, "application/dicom+json");
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return new JsonArray(new String(r.body(), StandardCharsets.UTF_8));
  }

  /** A project of researcher {@code subject}, with {@code tenants} invited and demo's consent given. */
  static String project(String name, String subject, String... tenants) throws Exception {
    JsonObject body = new JsonObject().put("name", name).put("cohort", new JsonObject().put("ModalitiesInStudy", "CT"));
    if (tenants.length > 0) body.put("tenants", new JsonArray(List.of(tenants)));
    HttpResponse<String> created = post(researcher(subject), "/research", body);
    assertEquals(201, created.statusCode(), created.body());
    assertEquals(200, post(admin("demo"), "/research/" + name + "/consent", null).statusCode());
    return name;
  }

  /** The export's files by path. */
  static Map<String, byte[]> export(String token, String name, boolean nifti) throws Exception {
    return new ResearchFixture(imago).export(token, name, nifti);
  }

  static AttributeList dicom(byte[] file) throws Exception {
    AttributeList l = new AttributeList();
    l.read(new DicomInputStream(new ByteArrayInputStream(file)));
    return l;
  }

  static String text(AttributeList l, AttributeTag tag) {
    return Attribute.getSingleStringValueOrEmptyString(l, tag).trim();
  }

  // ---- the export ------------------------------------------------------------------------------

  @Test
  void anExportCarriesNoIdentityKeepsReferencesAndConvertsTheCtToNifti() throws Exception {
    String p = project("lung-export", "alice");
    HttpResponse<String> out = post(admin("demo"), "/research/opt-outs", new JsonObject().put("patientId", OPTED_OUT)
        .put("project", p));
    assertEquals(201, out.statusCode(), out.body());
    Map<String, byte[]> files = export(researcher("alice"), p, true);

    Map<String, AttributeList> instances = new HashMap<>();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      String content = new String(f.getValue(), StandardCharsets.ISO_8859_1);
      for (String identity : IDENTITIES) assertFalse(content.contains(identity), identity + " in " + f.getKey());
      for (String uid : SOURCE_UIDS) assertFalse(content.contains(uid), "source UID " + uid + " in " + f.getKey());
      if (f.getKey().endsWith(".dcm")) instances.put(f.getKey(), dicom(f.getValue()));
    }
    assertEquals(rossi.files.size() + 1, instances.size(), "the CT and its key objects; the opted-out patient's study not at all");

    Set<String> patients = new HashSet<>();
    for (Map.Entry<String, AttributeList> e : instances.entrySet()) {
      AttributeList l = e.getValue();
      checkDeidentified(l, e.getKey());
      patients.add(text(l, TagFromName.PatientID));
    }
    assertEquals(1, patients.size(), "one patient, one pseudonym in every instance");
    String pseudonym = patients.iterator().next();
    assertTrue(pseudonym.matches("P[A-Z2-7]{16}"), pseudonym);

    // references resolve: the key objects point at the exported CT images, under their new UIDs
    AttributeList kos = instances.values().stream().filter(l -> text(l, TagFromName.Modality).equals("KO")).findFirst()
        .orElseThrow();
    Set<String> ctSops = new HashSet<>();
    String ctSeries = null;
    for (AttributeList l : instances.values()) {
      if (text(l, TagFromName.Modality).equals("CT")) {
        ctSops.add(text(l, TagFromName.SOPInstanceUID));
        ctSeries = text(l, TagFromName.SeriesInstanceUID);
        assertEquals(text(kos, TagFromName.StudyInstanceUID), text(l, TagFromName.StudyInstanceUID));
      }
    }
    assertEquals(rossi.files.size(), ctSops.size(), "every CT image, each under its own UID");
    SequenceItem studyItem = ((SequenceAttribute) kos.get(TagFromName.CurrentRequestedProcedureEvidenceSequence)).getItem(0);
    assertEquals(text(kos, TagFromName.StudyInstanceUID), text(studyItem.getAttributeList(), TagFromName.StudyInstanceUID));
    SequenceItem seriesItem = ((SequenceAttribute) studyItem.getAttributeList().get(TagFromName.ReferencedSeriesSequence))
        .getItem(0);
    assertEquals(ctSeries, text(seriesItem.getAttributeList(), TagFromName.SeriesInstanceUID));
    SequenceAttribute refs = (SequenceAttribute) seriesItem.getAttributeList().get(TagFromName.ReferencedSOPSequence);
    Set<String> referenced = new HashSet<>();
    for (int i = 0; i < refs.getNumberOfItems(); i++) {
      referenced.add(text(refs.getItem(i).getAttributeList(), TagFromName.ReferencedSOPInstanceUID));
    }
    assertEquals(ctSops, referenced, "every reference resolves to an exported image");

    // dcm2niix made one volume of the CT series: columns x rows x slices
    List<String> volumes = files.keySet().stream().filter(n -> n.endsWith(".nii.gz")).toList();
    assertEquals(1, volumes.size(), files.keySet().toString());
    ByteBuffer header = ByteBuffer.wrap(new GZIPInputStream(new ByteArrayInputStream(files.get(volumes.get(0))))
        .readNBytes(348)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(348, header.getInt(0), "a NIfTI-1 header");
    int columns = rossi.volume.getInteger("columns");
    int rows = rossi.volume.getInteger("rows");
    assertEquals(List.of(3, columns, rows, rossi.files.size()), List.of((int) header.getShort(40), (int) header.getShort(42),
        (int) header.getShort(44), (int) header.getShort(46)));
    assertTrue(files.containsKey(volumes.get(0).replace(".nii.gz", ".json")), "the BIDS sidecar");
    assertTrue(new String(files.get("manifest.csv"), StandardCharsets.UTF_8).contains(pseudonym + ","));
    assertTrue(new String(files.get("README.txt"), StandardCharsets.UTF_8).contains("Retain Longitudinal Temporal Information"
        + " Modified Dates Option"));

    // the hospital sees that the project read its study
    HttpResponse<String> audit = imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl()
        + "/admin/audit?action=research:lung-export:export")).header("Authorization", "Bearer " + admin("demo")).GET().build());
    assertEquals(200, audit.statusCode(), audit.body());
    assertTrue(audit.body().contains(rossi.studyUid), audit.body());
    assertFalse(audit.body().contains(optedOut.studyUid), audit.body());
  }

  /**
   * What the checker holds every exported instance to, at every depth: no private attribute, no
   * name but the pseudonym, no UID that is not DICOM's own or remapped, no date of the source,
   * and the profile's marks.
   */
  static void checkDeidentified(AttributeList l, String where) throws Exception {
    assertEquals("YES", text(l, TagFromName.PatientIdentityRemoved), where);
    assertTrue(text(l, TagFromName.DeidentificationMethod).contains("Basic Profile"), where);
    assertEquals("MODIFIED", text(l, new AttributeTag(0x0028, 0x0303)), where);
    Set<String> codes = new HashSet<>();
    SequenceAttribute methods = (SequenceAttribute) l.get(TagFromName.DeidentificationMethodCodeSequence);
    for (int i = 0; i < methods.getNumberOfItems(); i++) {
      codes.add(text(methods.getItem(i).getAttributeList(), TagFromName.CodeValue));
    }
    assertEquals(Set.of("113100", "113107", "113105"), codes, where);
    walk(l, where, 0);
  }

  private static void walk(AttributeList l, String where, int depth) throws Exception {
    for (Object o : l.values()) {
      Attribute a = (Attribute) o;
      AttributeTag t = a.getTag();
      String at = where + " " + t;
      if (t.getGroup() == 0x0002) continue;
      assertFalse(t.isPrivate(), "private attribute " + at);
      if (a instanceof SequenceAttribute s) {
        for (int i = 0; i < s.getNumberOfItems(); i++) walk(s.getItem(i).getAttributeList(), where, depth + 1);
        continue;
      }
      String vr = a.getVRAsString();
      if (Set.of("OB", "OW", "OF", "OD", "OL", "OV", "UN").contains(vr)) continue;
      String[] values = a.getStringValues() == null ? new String[0] : a.getStringValues();
      for (String v : values) {
        v = v.trim();
        if (v.isEmpty()) continue;
        switch (vr) {
          case "PN" -> assertTrue(v.matches("P[A-Z2-7]{16}") || v.equals("ANONYMOUS"), "a name at " + at + ": " + v);
          case "UI" -> assertTrue(v.startsWith("2.25.") || v.startsWith("1.2.840.10008."), "a source UID at " + at + ": " + v);
          case "DA" -> assertNotEquals("20240315", v, "a source date at " + at);
          case "LO", "SH", "LT", "ST", "UT" -> {
            if (depth > 0 && t.equals(TagFromName.PatientID)) throw new AssertionError("a nested Patient ID at " + at);
          }
          default -> { }
        }
      }
      if (t.equals(TagFromName.PatientBirthDate) || t.equals(TagFromName.InstitutionName)
          || t.equals(TagFromName.ImageComments) || t.equals(TagFromName.OtherPatientIDsSequence)) {
        assertTrue(values.length == 0 || values[0].isBlank() || values[0].trim().equals("ANONYMOUS"), "kept " + at);
      }
    }
  }

  // ---- the view ------------------------------------------------------------------------------

  @Test
  void theViewAnswersQidoAndWadoDeidentifiedAndOnlyToItsResearchers() throws Exception {
    String p = project("lung-view", "carla");
    String carla = researcher("carla");
    JsonArray studies = qido(carla, "/research/" + p + "/dicomweb/studies");
    assertEquals(2, studies.size(), "both demo patients' CT studies: " + studies.encode());
    JsonObject study = studies.getJsonObject(0);
    String studyUid = study.getJsonObject("0020000D").getJsonArray("Value").getString(0);
    assertTrue(studyUid.startsWith("2.25."), studyUid);
    String patient = study.getJsonObject("00100020").getJsonArray("Value").getString(0);
    assertTrue(patient.matches("P[A-Z2-7]{16}"), patient);
    for (String identity : IDENTITIES) assertFalse(studies.encode().contains(identity), identity);
    assertEquals(1, qido(carla, "/research/" + p + "/dicomweb/studies?PatientID=" + patient).size());

    JsonArray series = qido(carla, "/research/" + p + "/dicomweb/studies/" + studyUid + "/series");
    JsonObject ct = series.stream().map(JsonObject.class::cast)
        .filter(s -> s.getJsonObject("00080060").getJsonArray("Value").getString(0).equals("CT")).findFirst().orElseThrow();
    String seriesUid = ct.getJsonObject("0020000E").getJsonArray("Value").getString(0);
    JsonArray instances = qido(carla, "/research/" + p + "/dicomweb/studies/" + studyUid + "/series/" + seriesUid + "/instances");
    assertEquals(rossi.files.size(), instances.size());
    String sop = instances.getJsonObject(0).getJsonObject("00080018").getJsonArray("Value").getString(0);

    HttpResponse<byte[]> metadata = get(carla, "/research/" + p + "/dicomweb/studies/" + studyUid + "/series/" + seriesUid
        + "/metadata", "application/dicom+json");
    assertEquals(200, metadata.statusCode());
    String json = new String(metadata.body(), StandardCharsets.UTF_8);
    for (String identity : IDENTITIES) assertFalse(json.contains(identity), identity);
    for (String uid : SOURCE_UIDS) assertFalse(json.contains(uid), uid);
    assertEquals(rossi.files.size(), new JsonArray(json).size());

    String instance = "/research/" + p + "/dicomweb/studies/" + studyUid + "/series/" + seriesUid + "/instances/" + sop;
    HttpResponse<byte[]> retrieved = get(carla, instance, "multipart/related; type=\"application/dicom\"");
    assertEquals(200, retrieved.statusCode());
    String body = new String(retrieved.body(), StandardCharsets.ISO_8859_1);
    for (String identity : IDENTITIES) assertFalse(body.contains(identity), identity);
    assertTrue(body.contains(sop));

    HttpResponse<byte[]> frames = get(carla, instance + "/frames/1", "multipart/related; type=\"application/octet-stream\"");
    assertEquals(200, frames.statusCode());
    int pixels = rossi.volume.getInteger("rows") * rossi.volume.getInteger("columns") * 2;
    assertTrue(frames.body().length >= pixels, "one 16-bit frame: " + frames.body().length);
    // its validator is the project's own: no clinical frame's ETag (nor boundary) gives the real instance away
    String tag = frames.headers().firstValue("ETag").orElseThrow();
    String hospital = imago.token("demo", Caller.Role.RADIOLOGIST);
    for (String real : rossi.sopInstanceUids) {
      HttpResponse<byte[]> clinical = get(hospital, "/dicomweb/studies/" + rossi.studyUid + "/series/" + rossi.seriesUid
          + "/instances/" + real + "/frames/1", "multipart/related; type=\"application/octet-stream\"");
      assertEquals(200, clinical.statusCode());
      assertNotEquals(tag, clinical.headers().firstValue("ETag").orElseThrow());
    }

    // nobody else: another project's researcher, a radiologist of the same hospital, the other hospital's admin
    project("another-project", "dario");
    for (String outsider : List.of(researcher("dario"), imago.token("demo", Caller.Role.RADIOLOGIST), admin("other"))) {
      for (String path : List.of("", "/dicomweb/studies", "/dicomweb/studies/" + studyUid + "/series", "/export",
          "/dicomweb/studies/" + studyUid + "/series/" + seriesUid + "/metadata", instance.substring(("/research/" + p).length()),
          instance.substring(("/research/" + p).length()) + "/frames/1")) {
        assertEquals(404, get(outsider, "/research/" + p + path, "*/*").statusCode(), path);
      }
    }
  }

  /** OHIF, opened on a project's view as the console links it, lists the project's pseudonyms and draws a study's images. */
  @Test
  void ohifOpensTheProjectsViewWithoutAnIdentity() throws Exception {
    String p = project("ohif-view", "ivy");
    String ivy = researcher("ivy");
    JsonObject study = qido(ivy, "/research/" + p + "/dicomweb/studies").getJsonObject(0);
    String studyUid = study.getJsonObject("0020000D").getJsonArray("Value").getString(0);
    String patient = study.getJsonObject("00100020").getJsonArray("Value").getString(0);
    com.fasterxml.jackson.databind.JsonNode run = BrowserScript.run("/viewer/open-research.cjs", tmp.resolve("ohif"), "research",
        Duration.ofMinutes(4), Map.of("IMAGO_URL", imago.baseUrl(), "IMAGO_TOKEN", ivy, "PROJECT", p, "PSEUDONYM", patient,
            "STUDY_UID", studyUid));
    assertFalse(run.has("failed"), run.toString());
    String list = run.at("/steps/studyList/text").asText();
    assertTrue(list.contains(patient), list);
    assertFalse(run.at("/steps/studyList/address").asText().contains("research="), "the fragment leaves the address bar");
    com.fasterxml.jackson.databind.JsonNode opened = run.at("/steps/study");
    assertTrue(opened.at("/stats/rendered").asBoolean(), opened.toString());
    assertTrue(opened.get("frames").asInt() > 0, "its pixels come from the project's view: " + opened);
    assertEquals(0, opened.get("clinical").asInt(), "nothing is asked of the clinical DICOMweb: " + opened);
    for (String identity : IDENTITIES) {
      assertFalse(list.contains(identity) || opened.get("text").asText().contains(identity), identity + " shown");
    }
  }

  @Test
  void onlyConsentedHospitalsShowAndAnOptOutTakesEffectAtOnce() throws Exception {
    String p = project("two-sites", "erin", "demo", "other");
    String erin = researcher("erin");
    assertEquals(2, qido(erin, "/research/" + p + "/dicomweb/studies").size(), "demo's two; other has not consented");
    assertEquals(200, post(admin("other"), "/research/" + p + "/consent", null).statusCode());
    assertEquals(3, qido(erin, "/research/" + p + "/dicomweb/studies").size());
    HttpResponse<String> everyProject = post(admin("demo"), "/research/opt-outs", new JsonObject().put("patientId", OPTED_OUT));
    assertEquals(201, everyProject.statusCode(), everyProject.body());
    try {
      assertEquals(2, qido(erin, "/research/" + p + "/dicomweb/studies").size());
      assertEquals(200, post(admin("other"), "/research/" + p + "/withdraw", null).statusCode());
      assertEquals(1, qido(erin, "/research/" + p + "/dicomweb/studies").size());
      JsonObject shown = new JsonObject(new String(get(erin, "/research/" + p, "application/json").body(), StandardCharsets.UTF_8));
      assertEquals("withdrawn", shown.getJsonArray("sites").getJsonObject(1).getString("state"));
    } finally {
      long id = new JsonObject(everyProject.body()).getLong("id");
      assertEquals(204, imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/research/opt-outs/" + id))
          .header("Authorization", "Bearer " + admin("demo")).DELETE().build()).statusCode());
    }
  }

  /** An ultrasound image with its header burned into the top rows, Burned In Annotation YES. */
  static byte[] ultrasound(String studyUid, String sop) throws Exception {
    AttributeList l = new AttributeList();
    PhantomStudy.text(l, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.6.1"); // US Image Storage
    PhantomStudy.text(l, TagFromName.SOPInstanceUID, sop);
    PhantomStudy.header(l, "USPAT-1", studyUid, Uids.random(), "US");
    PhantomStudy.text(l, TagFromName.BurnedInAnnotation, "YES");
    PhantomStudy.text(l, TagFromName.PhotometricInterpretation, "MONOCHROME2");
    PhantomStudy.number(l, TagFromName.Rows, 64);
    PhantomStudy.number(l, TagFromName.Columns, 64);
    PhantomStudy.number(l, TagFromName.SamplesPerPixel, 1);
    PhantomStudy.number(l, TagFromName.BitsAllocated, 8);
    PhantomStudy.number(l, TagFromName.BitsStored, 8);
    PhantomStudy.number(l, TagFromName.HighBit, 7);
    PhantomStudy.number(l, TagFromName.PixelRepresentation, 0);
    byte[] pixels = new byte[64 * 64];
    for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i / 64 < 8 ? 255 : 40 + (i % 64)); // text band, then tissue
    Attribute data = new com.pixelmed.dicom.OtherByteAttribute(TagFromName.PixelData);
    data.setValues(pixels);
    l.put(data);
    FileMetaInformation.addFileMetaInformation(l, TransferSyntax.ExplicitVRLittleEndian, "IMAGOTEST");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    l.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
    return out.toByteArray();
  }

  @Test
  void anImageWithBurnedInTextIsLeftOutUnlessTheProjectCleansItsModality() throws Exception {
    String study = Uids.random();
    String sop = Uids.random();
    assertEquals(200, imago.stow(imago.token("demo", Caller.Role.HOSPITAL), null, List.of(ultrasound(study, sop))).statusCode());
    String hana = researcher("hana");
    JsonObject us = new JsonObject().put("ModalitiesInStudy", "US");
    assertEquals(201, post(hana, "/research", new JsonObject().put("name", "us-plain").put("cohort", us)).statusCode());
    assertEquals(201, post(hana, "/research", new JsonObject().put("name", "us-clean").put("cohort", us)
        .put("cleanPixelData", new JsonObject().put("US", new JsonArray().add(new JsonArray().add(0).add(0).add(64).add(8)))))
        .statusCode());
    for (String p : List.of("us-plain", "us-clean")) assertEquals(200, post(admin("demo"), "/research/" + p + "/consent", null).statusCode());

    assertTrue(export(hana, "us-plain", false).keySet().stream().noneMatch(n -> n.endsWith(".dcm")),
        "without a rule for US, the image with burned-in text stays out");

    Map<String, byte[]> files = export(hana, "us-clean", false);
    List<byte[]> images = files.entrySet().stream().filter(e -> e.getKey().endsWith(".dcm")).map(Map.Entry::getValue).toList();
    assertEquals(1, images.size(), files.keySet().toString());
    AttributeList cleaned = dicom(images.get(0));
    assertEquals("NO", text(cleaned, TagFromName.BurnedInAnnotation));
    Set<String> codes = new HashSet<>();
    SequenceAttribute methods = (SequenceAttribute) cleaned.get(TagFromName.DeidentificationMethodCodeSequence);
    for (int i = 0; i < methods.getNumberOfItems(); i++) codes.add(text(methods.getItem(i).getAttributeList(), TagFromName.CodeValue));
    assertTrue(codes.contains("113101"), "Clean Pixel Data Option: " + codes);
    byte[] pixels = cleaned.get(TagFromName.PixelData).getByteValues();
    for (int i = 0; i < pixels.length; i++) {
      assertEquals(i / 64 < 8 ? 0 : 40 + (i % 64), pixels[i] & 0xff, "pixel " + i);
    }

    // the view serves the cleaned pixels too, never the stored ones
    String pseudoStudy = text(cleaned, TagFromName.StudyInstanceUID);
    String frames = "/research/us-clean/dicomweb/studies/" + pseudoStudy + "/series/" + text(cleaned, TagFromName.SeriesInstanceUID)
        + "/instances/" + text(cleaned, TagFromName.SOPInstanceUID) + "/frames/1";
    HttpResponse<byte[]> frame = get(hana, frames, "multipart/related; type=\"application/octet-stream\"");
    assertEquals(200, frame.statusCode());
    String body = new String(frame.body(), StandardCharsets.ISO_8859_1);
    int start = body.indexOf("\r\n\r\n") + 4;
    for (int i = 0; i < 64 * 64; i++) assertEquals(pixels[i], frame.body()[start + i], "frame byte " + i);
    assertEquals(404, get(hana, frames.replace("us-clean", "us-plain"), "*/*").statusCode(), "another project knows no such UIDs");
  }

  /** A radiologist's report on {@code study}: a TID 1500-like tree whose Finding is {@code code}. */
  static byte[] report(String studyUid, String patientId, String code, String meaning) throws Exception {
    AttributeList l = new AttributeList();
    PhantomStudy.text(l, TagFromName.SOPClassUID, "1.2.840.10008.5.1.4.1.1.88.33"); // Comprehensive SR
    PhantomStudy.text(l, TagFromName.SOPInstanceUID, Uids.random());
    PhantomStudy.header(l, patientId, studyUid, Uids.random(), "SR");
    PhantomStudy.text(l, TagFromName.Manufacturer, "Radiology reporting");
    PhantomStudy.text(l, TagFromName.ValueType, "CONTAINER");
    PhantomStudy.text(l, TagFromName.ContinuityOfContent, "SEPARATE");
    l.put(codeSequence(TagFromName.ConceptNameCodeSequence, "126000", "DCM", "Imaging Measurement Report"));
    AttributeList item = new AttributeList();
    PhantomStudy.text(item, TagFromName.RelationshipType, "CONTAINS");
    PhantomStudy.text(item, TagFromName.ValueType, "CODE");
    item.put(codeSequence(TagFromName.ConceptNameCodeSequence, "121071", "DCM", "Finding"));
    item.put(codeSequence(TagFromName.ConceptCodeSequence, code, "SCT", meaning));
    SequenceAttribute content = new SequenceAttribute(TagFromName.ContentSequence);
    content.addItem(item);
    l.put(content);
    FileMetaInformation.addFileMetaInformation(l, TransferSyntax.ExplicitVRLittleEndian, "IMAGOTEST");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    l.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
    return out.toByteArray();
  }

  static SequenceAttribute codeSequence(AttributeTag tag, String value, String scheme, String meaning) throws Exception {
    AttributeList c = new AttributeList();
    PhantomStudy.text(c, TagFromName.CodeValue, value);
    PhantomStudy.text(c, TagFromName.CodingSchemeDesignator, scheme);
    PhantomStudy.text(c, TagFromName.CodeMeaning, meaning);
    SequenceAttribute s = new SequenceAttribute(tag);
    s.addItem(c);
    return s;
  }

  @Test
  void labelsAreTakenFromTheRadiologistsReports() throws Exception {
    // radiographs, so that the other tests' CT cohorts stay as they are
    List<byte[]> parts = new ArrayList<>();
    for (String patient : List.of("REP-A", "REP-B")) {
      ChestPhantoms.Study s = ChestPhantoms.radiograph(new ChestPhantoms.Patient(patient, "Reported^" + patient, "F", "19800101"),
          patient.equals("REP-A"), patient.hashCode());
      parts.addAll(s.instances());
      parts.add(patient.equals("REP-A") ? report(s.studyUid(), patient, "52988006", "Lesion")
          : report(s.studyUid(), patient, "17621005", "Normal"));
    }
    assertEquals(200, imago.stow(imago.token("demo", Caller.Role.HOSPITAL), null, parts).statusCode());
    String jack = researcher("jack");
    assertEquals(201, post(jack, "/research", new JsonObject().put("name", "from-reports")
        .put("cohort", new JsonObject().put("ModalitiesInStudy", "CR").put("PatientID", "REP-*"))).statusCode());
    assertEquals(200, post(admin("demo"), "/research/from-reports/consent", null).statusCode());

    HttpResponse<String> r = post(jack, "/research/from-reports/labels/from-reports", new JsonObject().put("finding", "lesion")
        .put("code", "52988006"));
    assertEquals(201, r.statusCode(), r.body());
    assertEquals(2, new JsonObject(r.body()).getInteger("stored"), r.body());
    assertEquals(1, new JsonObject(r.body()).getInteger("present"), r.body());
    String csv = new String(get(jack, "/research/from-reports/labels", "text/csv").body(), StandardCharsets.UTF_8);
    assertEquals(3, csv.lines().count(), "a header and one label per reported study: " + csv);
    for (Object o : qido(jack, "/research/from-reports/dicomweb/studies")) {
      String uid = ((JsonObject) o).getJsonObject("0020000D").getJsonArray("Value").getString(0);
      String sr = qido(jack, "/research/from-reports/dicomweb/studies/" + uid + "/series?Modality=SR").getJsonObject(0)
          .getJsonObject("0020000E").getJsonArray("Value").getString(0);
      String metadata = new String(get(jack, "/research/from-reports/dicomweb/studies/" + uid + "/series/" + sr + "/metadata",
          "application/dicom+json").body(), StandardCharsets.UTF_8);
      boolean reported = metadata.contains("52988006");
      assertTrue(csv.contains(uid + ",,lesion," + (reported ? 1 : 0)), uid + " labelled as its report says: " + csv);
    }
  }

  @Test
  void badRequestsAreRefusedWithAReason() throws Exception {
    String fay = researcher("fay");
    HttpResponse<String> r = post(fay, "/research", new JsonObject().put("name", "bad-key")
        .put("cohort", new JsonObject().put("NotAKeyword", "x")));
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("NotAKeyword"), r.body());
    r = post(fay, "/research", new JsonObject().put("name", "bad-option").put("options", new JsonArray().add("retain-everything")));
    assertEquals(400, r.statusCode(), r.body());
    r = post(fay, "/research", new JsonObject().put("name", "Bad Name"));
    assertEquals(400, r.statusCode(), r.body());
    r = post(fay, "/research", new JsonObject().put("name", "uids").put("options", new JsonArray().add("retain-uids")));
    assertEquals(400, r.statusCode(), r.body());
    assertEquals(201, post(fay, "/research", new JsonObject().put("name", "twice")).statusCode());
    assertEquals(409, post(fay, "/research", new JsonObject().put("name", "twice")).statusCode());
    assertEquals(403, post(imago.token("demo", Caller.Role.RADIOLOGIST), "/research", new JsonObject().put("name", "x1"))
        .statusCode());
    assertEquals(403, post(fay, "/research/twice/consent", null).statusCode(), "a researcher does not consent for a hospital");
    assertEquals(404, post(admin("other"), "/research/twice/consent", null).statusCode(), "other was not invited");
    HttpResponse<byte[]> empty = get(fay, "/research/twice/export", "application/zip");
    assertEquals(409, empty.statusCode(), "no hospital consented yet");
    assertTrue(new String(empty.body(), StandardCharsets.UTF_8).contains("imago research consent twice"));
  }

  @Test
  void theCommandLineCreatesConsentsAndExportsIntoAFolder(@TempDir Path out) throws Exception {
    assertEquals(0, research("create", "cli-ct", "--tenant", "demo", "--cohort", "ModalitiesInStudy=CT").code());
    Run consent = research("consent", "cli-ct", "--tenant", "demo");
    assertEquals(0, consent.code(), consent.out());
    assertTrue(consent.out().contains("demo (consented)"), consent.out());
    Run export = research("export", "cli-ct", "--out", out.toString());
    assertEquals(0, export.code(), export.out());
    try (Stream<Path> files = Files.walk(out)) {
      List<Path> dcm = files.filter(f -> f.toString().endsWith(".dcm")).toList();
      assertEquals(rossi.files.size() * 2 + 1, dcm.size(), export.out());
    }
    assertTrue(Files.isRegularFile(out.resolve("manifest.csv")));
    try (Stream<Path> left = Files.list(out)) {
      assertTrue(left.noneMatch(f -> f.getFileName().toString().endsWith(".part")), "the download is gone once unpacked");
    }
  }

  record Run(int code, String out) {}

  static Run research(String... args) throws Exception {
    List<String> positional = new ArrayList<>();
    Map<String, String> options = new HashMap<>();
    Map<String, List<String>> repeated = new HashMap<>();
    options.put("url", imago.baseUrl());
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        options.put(args[i].substring(2), args[i + 1]);
        repeated.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[++i]);
      } else {
        positional.add(args[i]);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = ResearchCommand.run(config, positional, options, repeated, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return new Run(code, bytes.toString(StandardCharsets.UTF_8));
  }
}
