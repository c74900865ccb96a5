package imago.storage.research;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.deid.ConfidentialityProfile.Option;
import imago.core.deid.PixelCleaner;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.time.Clock;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Research projects, their hospitals, opt-outs, labels and evaluations as stored, on H2 and on PostgreSQL. */
class ResearchStoreTest {
  @RegisterExtension static final Databases DATABASES = new Databases();

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aProjectKeepsItsCohortOptionsRulesHospitalsAndResearchers(Backend backend) throws Exception {
    DataSource ds = DATABASES.fresh(backend).dataSource();
    ResearchProjects projects = new ResearchProjects(ds, Clock.systemUTC());
    Map<String, String> cohort = new LinkedHashMap<>();
    cohort.put("ModalitiesInStudy", "CT");
    cohort.put("StudyDate", "20200101-20261231");
    ResearchProject p = projects.create("lung-ct", "Lung CT", "demo", "alice", cohort,
        EnumSet.of(Option.RETAIN_LONGITUDINAL_MODIFIED_DATES, Option.CLEAN_DESCRIPTORS),
        Map.of("US", List.of(new PixelCleaner.Rect(0, 0, 640, 60), new PixelCleaner.Rect(0, 400, 100, 480))), List.of("demo", "other"));
    assertThrows(ResearchProjects.NameTakenException.class, () -> projects.create("lung-ct", "again", "demo", "bob", Map.of(),
        Set.of(), Map.of(), List.of("demo")));
    assertThrows(IllegalArgumentException.class, () -> projects.create("Not A Name", "x", "demo", "bob", Map.of(), Set.of(),
        Map.of(), List.of()));

    ResearchProject read = projects.byName("lung-ct").orElseThrow();
    assertEquals(cohort, read.cohort());
    assertEquals(p.options(), read.options());
    assertEquals(List.of(new PixelCleaner.Rect(0, 0, 640, 60), new PixelCleaner.Rect(0, 400, 100, 480)), read.cleanPixels().get("US"));
    assertEquals(32, read.keySalt().length());
    assertEquals(List.of("alice"), read.researchers());
    assertTrue(read.consentedTenants().isEmpty(), "invited is not consented");

    assertTrue(projects.addResearcher(p.id(), "carla", "alice"));
    assertFalse(projects.addResearcher(p.id(), "carla", "alice"), "once");
    assertFalse(projects.invite(p.id(), "demo", "alice"), "demo was invited already");
    assertTrue(projects.decide(p.id(), "demo", ResearchProject.SiteState.CONSENTED, "admin@demo"));
    assertFalse(projects.decide(p.id(), "nowhere", ResearchProject.SiteState.CONSENTED, "admin@nowhere"), "not invited");
    assertEquals(List.of("demo"), projects.byName("lung-ct").orElseThrow().consentedTenants());
    assertTrue(projects.decide(p.id(), "demo", ResearchProject.SiteState.WITHDRAWN, "admin@demo"));
    assertTrue(projects.byName("lung-ct").orElseThrow().consentedTenants().isEmpty());
    assertTrue(projects.byName("lung-ct").orElseThrow().hasResearcher("carla"));

    OptOut one = projects.optOut("demo", "PAT-1", p, "admin@demo");
    assertEquals(one.id(), projects.optOut("demo", "PAT-1", p, "admin@demo").id(), "idempotent");
    projects.optOut("demo", "PAT-2", null, "admin@demo");
    projects.optOut("other", "PAT-3", null, "admin@other");
    assertEquals(Set.of("PAT-1", "PAT-2"), projects.optedOut("demo", p));
    assertEquals(List.of("PAT-2", "PAT-1"), projects.optOuts("demo").stream().map(OptOut::patientId).toList());
    assertEquals("lung-ct", projects.optOuts("demo").get(1).project());
    assertFalse(projects.removeOptOut("other", one.id()), "another hospital's");
    assertTrue(projects.removeOptOut("demo", one.id()));
    assertEquals(Set.of("PAT-2"), projects.optedOut("demo", p));
  }

  /** Requests racing for one name or one opt-out: one project, one opt-out; the others told so, never "index unavailable". */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void racingRequestsMakeOneProjectAndOneOptOut(Backend backend) throws Exception {
    ResearchProjects projects = new ResearchProjects(DATABASES.fresh(backend).dataSource(), Clock.systemUTC());
    int n = 8;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<String>> created = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        created.add(pool.submit(() -> {
          go.await();
          try {
            projects.create("raced", "R", "demo", "alice", Map.of(), Set.of(), Map.of(), List.of("demo"));
            return "created";
          } catch (ResearchProjects.NameTakenException e) {
            return "taken";
          }
        }));
      }
      go.countDown();
      List<String> outcomes = new java.util.ArrayList<>();
      for (java.util.concurrent.Future<String> f : created) outcomes.add(f.get());
      assertEquals(1, outcomes.stream().filter("created"::equals).count(), outcomes.toString());
      ResearchProject p = projects.byName("raced").orElseThrow();
      java.util.concurrent.CountDownLatch again = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<Long>> optOuts = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        optOuts.add(pool.submit(() -> {
          again.await();
          return projects.optOut("demo", "PAT-R", p, "admin@demo").id();
        }));
      }
      again.countDown();
      java.util.Set<Long> ids = new java.util.HashSet<>();
      for (java.util.concurrent.Future<Long> f : optOuts) ids.add(f.get());
      assertEquals(1, ids.size(), "one opt-out, answered to every request: " + ids);
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void labelsReplaceTheirSourcesAndEvaluationsFinishOnce(Backend backend) throws Exception {
    DataSource ds = DATABASES.fresh(backend).dataSource();
    ResearchProjects projects = new ResearchProjects(ds, Clock.systemUTC());
    ResearchJudgements judgements = new ResearchJudgements(ds, Clock.systemUTC());
    ResearchProject p = projects.create("cr", "CR", "demo", "alice", Map.of(), Set.of(), Map.of(), List.of("demo"));
    judgements.putLabels(p, List.of(new Label("2.25.1", "", "lesion", true, null, "csv"),
        new Label("2.25.1", "2.25.11", "lesion", true, new double[] {1.5, 2, 10, 12.25}, "csv"),
        new Label("2.25.2", "", "lesion", false, null, "csv")), "csv", "alice");
    judgements.putLabels(p, List.of(new Label("2.25.2", "", "lesion", true, null, "sr")), "sr", "alice");
    judgements.putLabels(p, List.of(new Label("2.25.1", "", "lesion", false, null, "csv")), "csv", "alice");
    List<Label> labels = judgements.labels(p);
    assertEquals(3, labels.size(), "study 1's uploaded labels replaced, study 2's kept beside its report's: " + labels);
    assertTrue(labels.stream().anyMatch(l -> l.studyUid().equals("2.25.1") && !l.present()));
    assertTrue(labels.stream().anyMatch(l -> l.studyUid().equals("2.25.2") && l.source().equals("sr") && l.present()));

    Evaluation e = judgements.startEvaluation(p, "lesion-cls", "2.0.0", "1.0.0", "alice");
    assertEquals(Evaluation.State.RUNNING, e.state());
    assertTrue(judgements.finishEvaluation(e.id(), Evaluation.State.DONE, "{\"comparison\":{}}"));
    assertFalse(judgements.finishEvaluation(e.id(), Evaluation.State.FAILED, "{}"), "finished once, by whichever node looked first");
    Evaluation done = judgements.evaluation(e.id()).orElseThrow();
    assertEquals(Evaluation.State.DONE, done.state());
    assertEquals("cr", done.project());
    assertEquals(List.of(e.id()), judgements.evaluations("lesion-cls", "2.0.0").stream().map(Evaluation::id).toList());
  }
}
