package imago.storage.index.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.dicom.InstanceAttributes;
import imago.storage.index.Index;
import imago.storage.index.NewInstance;
import imago.storage.index.Scope;
import imago.storage.index.Source;
import imago.storage.index.SqlIndex;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The query engine's SQL on H2 (PostgreSQL mode) and on PostgreSQL, over a small hand-made index:
 * PS3.4 C.2.2.2 matching (single value, wildcards, ranges, UID lists), fuzzy person names,
 * computed attributes, paging, scope (tenant and shares) and the refusals.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class QueryOnBothDatabasesTest {
  static final Scope DEMO = Scope.tenant("demo");
  static final int STUDY_DESCRIPTION = 0x00081030;
  static final int STUDY_DATE = 0x00080020;
  static final int STUDY_TIME = 0x00080030;
  static final int MODALITY = 0x00080060;
  static final int ROWS = 0x00280010;

  @RegisterExtension static final Databases DATABASES = new Databases();
  static Index index;

  @Parameter Backend backend;

  @BeforeParameterizedClassInvocation
  static void load(Backend backend) throws Exception {
    index = new SqlIndex(DATABASES.fresh(backend).dataSource());
    // demo: four studies of three patients; other: one study of a namesake
    put("demo", "P1", "Bianchi^Nicolò", "1.9.1", "20240105", "083000", "TC TORACE", "1.9.1.1", "CT", "1.9.1.1.1", 512);
    put("demo", "P1", "Bianchi^Nicolò", "1.9.1", "20240105", "083000", "TC TORACE", "1.9.1.1", "CT", "1.9.1.1.2", 512);
    put("demo", "P1", "Bianchi^Nicolò", "1.9.1", "20240105", "083000", "TC TORACE", "1.9.1.2", "MR", "1.9.1.2.1", 256);
    put("demo", "P2", "Russo^Sàlvo", "1.9.2", "20240120", "143000", "RX", "1.9.2.1", "CT", "1.9.2.1.1", 512);
    put("demo", "P3", "Rossi^Mario", "1.9.3", "20231231", "235959", "RM ENCEFALO", "1.9.3.1", "MR", "1.9.3.1.1", 256);
    put("demo", "P3", "Rossi^Mario", "1.9.4", "20240215", "100000", "100%_DONE", "1.9.4.1", "SR", "1.9.4.1.1", 0);
    put("other", "P9", "Bianchi^Nicolò", "1.9.9", "20240110", "090000", "TC TORACE", "1.9.9.1", "CT", "1.9.9.1.1", 512);
  }

  static void put(String tenant, String patientId, String name, String study, String date, String time,
      String description, String series, String modality, String sop, int rows) throws Exception {
    InstanceAttributes a = new InstanceAttributes("ISO_IR 192", patientId, "", name, "19500101", "M", study, date,
        time, "ACC" + study, "1", description, "Verdi^Anna", series, modality, "1", "", "CHEST", date, time,
        "1.2.840.10008.5.1.4.1.1.2", sop, sop.substring(sop.lastIndexOf('.') + 1), rows, rows, 0, rows == 0 ? 0 : 16);
    index.insert(new NewInstance(tenant, a, "1.2.840.10008.1.2.1", tenant + "/" + sop, 100, 0, "0".repeat(64),
        Source.IMPORT, "test", null));
  }

  static List<String> studies(Scope scope, Map<Integer, String> keys, boolean fuzzy) throws Exception {
    QueryRequest q = QueryRequest.of(QueryLevel.STUDY, keys, 100).withFuzzyMatching(fuzzy);
    return index.query(scope, q).matches().stream().map(QueryMatch::studyUid).toList();
  }

  static List<String> studies(Map<Integer, String> keys) throws Exception {
    return studies(DEMO, keys, false);
  }

  @Test
  void aTenantSeesItsOwnStudiesOnly() throws Exception {
    assertEquals(List.of("1.9.1", "1.9.2", "1.9.3", "1.9.4"), studies(Map.of()));
    assertEquals(List.of("1.9.9"), studies(Scope.tenant("other"), Map.of(), false));
  }

  @Test
  void singleValueAndWildcardMatching() throws Exception {
    assertEquals(List.of("1.9.3", "1.9.4"), studies(Map.of(QueryAttributes.PATIENT_ID, "P3")));
    assertEquals(List.of("1.9.1"), studies(Map.of(QueryAttributes.PATIENT_NAME, "Bianchi*")));
    assertEquals(List.of("1.9.3", "1.9.4"), studies(Map.of(QueryAttributes.PATIENT_NAME, "R?ssi^*")));
    assertEquals(List.of("1.9.2", "1.9.3", "1.9.4"), studies(Map.of(QueryAttributes.PATIENT_NAME, "*o")));
    assertEquals(List.of(), studies(Map.of(QueryAttributes.PATIENT_NAME, "bianchi*")), "literal PN matching keeps case");
    assertEquals(List.of("1.9.1", "1.9.2", "1.9.3", "1.9.4"), studies(Map.of(QueryAttributes.PATIENT_NAME, "*")));
    assertEquals(List.of("1.9.1", "1.9.2", "1.9.3", "1.9.4"), studies(Map.of(QueryAttributes.PATIENT_NAME, "")));
  }

  @Test
  void sqlWildcardCharactersInValuesAreLiteral() throws Exception {
    assertEquals(List.of("1.9.4"), studies(Map.of(STUDY_DESCRIPTION, "100%_*")));
    assertEquals(List.of(), studies(Map.of(STUDY_DESCRIPTION, "1_0*")));
    assertEquals(List.of(), studies(Map.of(STUDY_DESCRIPTION, "%")));
    assertEquals(List.of("1.9.4"), studies(Map.of(STUDY_DESCRIPTION, "100%_DON?")));
  }

  @Test
  void fuzzyPersonNamesIgnoreCaseAndAccentsAndMatchFromAnyComponent() throws Exception {
    assertEquals(List.of("1.9.1"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "nicolo"), true));
    assertEquals(List.of("1.9.1"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "BIANCHI^NICOLÒ"), true));
    assertEquals(List.of("1.9.2"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "salvo"), true));
    assertEquals(List.of("1.9.2"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "rus*"), true));
    assertEquals(List.of(), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "salvo"), false));
  }

  @Test
  void fuzzyNamesMatchWordByWordInAnyOrderThroughTheWordIndex() throws Exception {
    assertEquals(List.of("1.9.1"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "nicolo bianchi"), true));
    assertEquals(List.of("1.9.1"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "nic bian"), true));
    assertEquals(List.of(), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "nicolo rossi"), true), "every word must match");
    assertEquals(List.of("1.9.2"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "r?ss* sal"), true));
    assertEquals(List.of("1.9.3", "1.9.4"), studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "ROSSI^MARIO"), true));
  }

  @Test
  void aFuzzyNameWordStartingWithAWildcardIsRefusedRatherThanScanningEveryName() {
    InvalidQueryException e = assertThrows(InvalidQueryException.class,
        () -> studies(DEMO, Map.of(QueryAttributes.PATIENT_NAME, "*ossi"), true));
    assertTrue(e.getMessage().contains("cannot start with a wildcard"), e.getMessage());
  }

  @Test
  void dateAndTimeRanges() throws Exception {
    assertEquals(List.of("1.9.1", "1.9.2"), studies(Map.of(STUDY_DATE, "20240101-20240131")));
    assertEquals(List.of("1.9.3"), studies(Map.of(STUDY_DATE, "-20231231")));
    assertEquals(List.of("1.9.4"), studies(Map.of(STUDY_DATE, "20240201-")));
    assertEquals(List.of("1.9.2"), studies(Map.of(STUDY_DATE, "20240120")));
    assertEquals(List.of("1.9.1", "1.9.3"), studies(Map.of(STUDY_DATE, "20240105\\20231231")));
    assertEquals(List.of("1.9.1", "1.9.4"), studies(Map.of(STUDY_TIME, "08-10")), "an upper bound HH covers the hour");
    assertEquals(List.of("1.9.3"), studies(Map.of(STUDY_TIME, "2359-")));
    // each on its own: no combined date-time range matching (PS3.4 C.2.2.2.5.1 makes it optional)
    assertEquals(List.of("1.9.1"), studies(Map.of(STUDY_DATE, "20240101-", STUDY_TIME, "-0900")));
  }

  @Test
  void uidListsAndModalitiesInStudy() throws Exception {
    assertEquals(List.of("1.9.1", "1.9.3"), studies(Map.of(QueryAttributes.STUDY_INSTANCE_UID, "1.9.3\\1.9.1")));
    assertEquals(List.of("1.9.2", "1.9.4"), studies(Map.of(QueryAttributes.STUDY_INSTANCE_UID, "1.9.2,1.9.4,1.9.9")));
    assertEquals(List.of("1.9.1", "1.9.3"), studies(Map.of(QueryAttributes.MODALITIES_IN_STUDY, "MR")));
    assertEquals(List.of("1.9.1", "1.9.3", "1.9.4"), studies(Map.of(QueryAttributes.MODALITIES_IN_STUDY, "MR\\SR")));
  }

  @Test
  void studyRowsCarryTheComputedAttributes() throws Exception {
    QueryMatch m = index.query(DEMO, QueryRequest.of(QueryLevel.STUDY,
        Map.of(QueryAttributes.STUDY_INSTANCE_UID, "1.9.1"), 10)).matches().get(0);
    assertEquals("2", m.get(0x00201206), "NumberOfStudyRelatedSeries");
    assertEquals("3", m.get(0x00201208), "NumberOfStudyRelatedInstances");
    assertEquals("CT\\MR", m.get(QueryAttributes.MODALITIES_IN_STUDY));
    assertEquals("Bianchi^Nicolò", m.get(QueryAttributes.PATIENT_NAME));
    assertEquals("ONLINE", m.get(0x00080056));
    assertEquals(null, m.get(MODALITY), "series attributes are not study attributes");
  }

  @Test
  void seriesAndInstanceLevels() throws Exception {
    QueryResult series = index.query(DEMO, QueryRequest.of(QueryLevel.SERIES, Map.of(MODALITY, "CT"), 10));
    assertEquals(List.of("1.9.1.1", "1.9.2.1"), series.matches().stream().map(QueryMatch::seriesUid).toList());
    assertEquals("2", series.matches().get(0).get(0x00201209), "NumberOfSeriesRelatedInstances");
    assertEquals("1.9.1", series.matches().get(0).studyUid());

    QueryResult within = index.query(DEMO, QueryRequest.of(QueryLevel.SERIES, Map.of(), 10).within("1.9.1", null));
    assertEquals(List.of("1.9.1.1", "1.9.1.2"), within.matches().stream().map(QueryMatch::seriesUid).toList());

    QueryResult instances = index.query(DEMO, QueryRequest.of(QueryLevel.INSTANCE, Map.of(ROWS, "512"), 10));
    assertEquals(List.of("1.9.1.1.1", "1.9.1.1.2", "1.9.2.1.1"),
        instances.matches().stream().map(QueryMatch::sopInstanceUid).toList());
    QueryMatch sr = index.query(DEMO, QueryRequest.of(QueryLevel.INSTANCE,
        Map.of(QueryAttributes.SOP_INSTANCE_UID, "1.9.4.1.1"), 10)).matches().get(0);
    assertEquals("", sr.get(ROWS), "an instance without Rows has it empty, not 0");
    assertEquals("SR", sr.get(MODALITY));
    assertEquals("1", sr.get(0x00200013), "InstanceNumber");
  }

  @Test
  void patientLevelCountsStudiesInScope() throws Exception {
    QueryResult r = index.query(DEMO, QueryRequest.of(QueryLevel.PATIENT, Map.of(QueryAttributes.PATIENT_ID, "P*"), 10));
    assertEquals(List.of("P1", "P2", "P3"), r.matches().stream().map(m -> m.get(QueryAttributes.PATIENT_ID)).toList());
    QueryMatch p3 = r.matches().get(2);
    assertEquals("2", p3.get(0x00201200), "NumberOfPatientRelatedStudies");
    assertEquals("2", p3.get(0x00201202), "NumberOfPatientRelatedSeries");
    assertEquals("2", p3.get(0x00201204), "NumberOfPatientRelatedInstances");
  }

  @Test
  void pagesAreStableAndTellWhetherMoreFollow() throws Exception {
    QueryRequest q = QueryRequest.of(QueryLevel.STUDY, Map.of(), 3);
    QueryResult first = index.query(DEMO, q);
    QueryResult second = index.query(DEMO, q.page(3, 3));
    assertEquals(List.of("1.9.1", "1.9.2", "1.9.3"), first.matches().stream().map(QueryMatch::studyUid).toList());
    assertTrue(first.more());
    assertEquals(List.of("1.9.4"), second.matches().stream().map(QueryMatch::studyUid).toList());
    assertFalse(second.more());
    assertFalse(index.query(DEMO, q.page(4, 0)).more());
  }

  @Test
  void anUnexpiredShareShowsAnotherTenantsStudyToItsGranteeOnly() throws Exception {
    Scope alice = new Scope("demo", "alice-" + backend);
    Scope bob = new Scope("demo", "bob-" + backend);
    index.share("other", "1.9.9", alice.subject(), "admin", Instant.now().plus(Duration.ofHours(1))).orElseThrow();
    index.share("other", "1.9.9", bob.subject(), "admin", Instant.now().minus(Duration.ofMinutes(1))).orElseThrow();
    assertEquals(List.of("1.9.1", "1.9.9"), studies(alice, Map.of(QueryAttributes.PATIENT_NAME, "Bianchi*"), false));
    assertEquals(List.of("1.9.1"), studies(bob, Map.of(QueryAttributes.PATIENT_NAME, "Bianchi*"), false));
    assertEquals(List.of("1.9.1"), studies(Map.of(QueryAttributes.PATIENT_NAME, "Bianchi*")));
  }

  @Test
  void unsupportedKeysAndMalformedValuesAreRefusedWithAReason() {
    Map<String, Map<Integer, String>> bad = Map.of(
        "unknown key", Map.of(0x00081080, "X"),
        "series key at study level", Map.of(MODALITY, "CT"),
        "computed attribute", Map.of(0x00201206, "2"),
        "wildcard in a UID", Map.of(QueryAttributes.STUDY_INSTANCE_UID, "1.9.*"),
        "malformed date", Map.of(STUDY_DATE, "2024-01-01"),
        "two dashes", Map.of(STUDY_DATE, "20240101-20240102-"),
        "malformed time", Map.of(STUDY_TIME, "8am"));
    bad.forEach((why, keys) -> {
      InvalidQueryException e = assertThrows(InvalidQueryException.class,
          () -> index.query(DEMO, QueryRequest.of(QueryLevel.STUDY, keys, 10)), why);
      assertFalse(e.getMessage().isBlank(), why);
    });
  }
}
