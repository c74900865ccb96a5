package imago.storage.links;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.storage.index.Database;
import imago.storage.testkit.Databases;
import imago.storage.testkit.Databases.Backend;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** FSE links and their webhook deliveries as stored, on H2 and on PostgreSQL. */
class LinkStoreTest {
  @RegisterExtension static final Databases DATABASES = new Databases();

  private static String sha() {
    return (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
  }

  /** A link to a study of its own, live for a day. */
  private static Link liveLink(LinkStore links) throws Exception {
    return links.create(sha(), "demo", "2.25." + System.nanoTime(), Set.of(Link.Right.VIEW), "hospital@demo",
        Instant.now().plus(Duration.ofDays(1)));
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void linksAreFoundByTokenDigestListedByStudyAndRevokedOnceByTheirTenant(Backend backend) throws Exception {
    LinkStore links = new SqlLinkStore(DATABASES.fresh(backend).dataSource());
    String study = "2.25." + System.nanoTime();
    String token = sha();
    Link link = links.create(token, "demo", study, Set.of(Link.Right.VIEW, Link.Right.DOWNLOAD), "hospital@demo",
        Instant.now().plus(Duration.ofDays(1)));
    Link expired = links.create(sha(), "demo", study, Set.of(Link.Right.VIEW), "hospital@demo",
        Instant.now().minus(Duration.ofMinutes(1)));

    assertEquals(Optional.of(link.id()), links.byTokenSha256(token).map(Link::id));
    assertEquals(Set.of(Link.Right.VIEW, Link.Right.DOWNLOAD), links.byTokenSha256(token).orElseThrow().rights());
    assertTrue(links.byTokenSha256(sha()).isEmpty());
    assertTrue(links.find("demo", link.id()).isPresent());
    assertTrue(links.find("other", link.id()).isEmpty(), "another tenant does not see it");
    assertEquals(List.of(link.id(), expired.id()), links.ofStudy("demo", study).stream().map(Link::id).sorted().toList());
    List<Long> live = links.live(1000).stream().map(Link::id).toList();
    assertTrue(live.contains(link.id()) && !live.contains(expired.id()), "live: " + live);

    assertFalse(links.revoke("other", link.id(), "other@x").isPresent(), "another tenant cannot revoke it");
    assertEquals(Optional.of(link.studyUid()), links.revoke("demo", link.id(), "admin@demo"));
    assertFalse(links.revoke("demo", link.id(), "admin@demo").isPresent(), "revoked once");
    Link revoked = links.byTokenSha256(token).orElseThrow();
    assertTrue(revoked.revoked());
    assertEquals("admin@demo", revoked.revokedBy());
    assertFalse(links.live(1000).stream().anyMatch(l -> l.id() == link.id()));
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aDeliveryIsQueuedOncePerVersionRetriedLaterAndThenDelivered(Backend backend) throws Exception {
    Database db = DATABASES.fresh(backend);
    LinkStore links = new SqlLinkStore(db.dataSource());
    DeliveryLog log = new SqlDeliveryLog(db.dataSource());
    Link link = liveLink(links);
    String endpoint = "https://fse.example/notify";

    Delivery d = log.enqueue(endpoint, link.id(), 1, "{\"v\":1}").orElseThrow();
    assertTrue(log.enqueue(endpoint, link.id(), 1, "{\"v\":1}").isEmpty(), "one delivery per endpoint, link and version");
    assertTrue(log.has(endpoint, link.id(), 1));
    assertFalse(log.has(endpoint, link.id(), 2));
    assertTrue(log.due(1000).stream().anyMatch(x -> x.id() == d.id()), "due at once");

    log.failed(d.id(), 503, "gateway down", Instant.now().plus(Duration.ofHours(1)));
    Delivery failed = log.ofLink(link.id()).get(0);
    assertEquals(Delivery.State.PENDING, failed.state());
    assertEquals(1, failed.attempts());
    assertEquals(503, failed.lastStatus());
    assertFalse(log.due(1000).stream().anyMatch(x -> x.id() == d.id()), "not due before its next attempt");

    log.delivered(d.id(), 204);
    Delivery done = log.ofLink(link.id()).get(0);
    assertEquals(Delivery.State.DELIVERED, done.state());
    assertTrue(done.deliveredAt() != null);
    assertFalse(log.due(1000).stream().anyMatch(x -> x.id() == d.id()));
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aDeliveryThatGotNoAnswerKeepsNoStatusAndNoError(Backend backend) throws Exception {
    Database db = DATABASES.fresh(backend);
    LinkStore links = new SqlLinkStore(db.dataSource());
    DeliveryLog log = new SqlDeliveryLog(db.dataSource());
    Link link = liveLink(links);
    Delivery d = log.enqueue("https://fse.example/notify", link.id(), 1, "{}").orElseThrow();

    log.failed(d.id(), 503, "gateway down", Instant.now());
    log.failed(d.id(), null, null, Instant.now()); // the connection failed: no HTTP status, no body
    Delivery failed = log.ofLink(link.id()).get(0);
    assertEquals(2, failed.attempts());
    assertNull(failed.lastStatus());
    assertNull(failed.lastError());
  }
}
