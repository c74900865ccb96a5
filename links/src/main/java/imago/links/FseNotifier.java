package imago.links;

import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.links.Delivery;
import imago.storage.links.DeliveryLog;
import imago.storage.links.Link;
import imago.storage.links.LinkStore;
import imago.storage.results.AiResults;
import imago.core.events.Events;
import imago.storage.cluster.Coordinator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the FSE gateway(s) when AI results attach to a linked study: a POST of the link's FHIR
 * Bundle, once per (endpoint, link, result version), signed with the endpoint's secret, retried
 * with exponential backoff until it is taken, every attempt in the delivery log. Results are
 * noticed from the {@code inference.result} events of the outbox, whichever node stored them; one
 * node of the cluster at a time does this ({@link #register}).
 *
 * <p>Signature: {@code X-Imago-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>}.
 * The Bundle names the link by id ({@code Bundle.id = link-<id>-v<version>}); its addresses are
 * Imago's authenticated DICOMweb and IID, since Imago keeps no link token to put in them.
 */
public final class FseNotifier {
  private static final Logger LOG = LoggerFactory.getLogger(FseNotifier.class);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  private static final Duration SWEEP_EVERY = Duration.ofSeconds(15);
  /** The singleton duty (and durable consumer) that notifies FSE gateways. */
  public static final String DUTY = "fse-notifier";

  private final LinkStore links;
  private final DeliveryLog log;
  private final LinkFhir fhir;
  private final Map<String, String> secrets;
  /** Per endpoint, the tenants whose links it is told of. */
  private final Map<String, Set<String>> tenants;
  private final Supplier<String> address;
  private final HttpClient http;
  private long lastSweep = System.nanoTime();

  /**
   * @param address Imago's address for links in notifications (node.publicUrl, or the local listener once it is up)
   * @param tls what gateways' certificates are checked against (the JDK's CAs, the local CA, tls.trust) and the
   *     certificate Imago presents if a gateway asks for one
   */
  public FseNotifier(LinkStore links, DeliveryLog log, Index index, AiResults aiResults, LinksConfig config,
      Supplier<String> address, javax.net.ssl.SSLContext tls) {
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(tls).build();
    this.links = links;
    this.log = log;
    this.fhir = new LinkFhir(index, aiResults);
    this.secrets = config.webhooks().stream().collect(Collectors.toMap(LinksConfig.Webhook::url, LinksConfig.Webhook::secret));
    this.tenants = config.webhooks().stream().collect(Collectors.toMap(LinksConfig.Webhook::url, w -> Set.copyOf(w.tenants())));
    this.address = address;
  }

  /**
   * Registers the singleton duty {@link #DUTY}: one node of the cluster consumes
   * {@code inference.result} (queueing a delivery for each live link of the study whose results
   * moved on), then sends what is due, and sweeps every live link every 15 seconds in case a
   * result was stored without its event (a node of an older version). Without webhooks the
   * consumer still moves past the events, so the outbox can be pruned behind it.
   */
  public FseNotifier register(Coordinator coordinator) {
    coordinator.consumer(DUTY, Set.of(Events.INFERENCE_RESULT), event -> {
      if (!secrets.isEmpty()) sweep(event.tenantId(), event.studyUid());
    }, () -> {
      if (secrets.isEmpty()) return;
      long now = System.nanoTime();
      if (now - lastSweep > SWEEP_EVERY.toNanos()) {
        sweep(null, null);
        lastSweep = now;
      }
      deliverDue();
    });
    return this;
  }

  /** Records a delivery for every live link (of one study, or all) whose results moved on. */
  private void sweep(String tenantId, String studyUid) throws SqlUnavailableException {
    String base = address.get();
    for (Link link : links.live(10_000)) {
      if (studyUid != null && !(link.studyUid().equals(studyUid) && link.tenantId().equals(tenantId))) continue;
      long version = fhir.version(link);
      if (version == 0) continue; // nothing to tell yet
      LinkFhir.Rendered bundle = null;
      for (String endpoint : secrets.keySet()) {
        if (!tenants.get(endpoint).contains(link.tenantId())) continue; // another hospital's gateway
        if (log.has(endpoint, link.id(), version)) continue; // told already: no Bundle to build
        if (bundle == null) {
          bundle = fhir.render(link, base + "/dicomweb",
              base + "/IHEInvokeImageDisplay?requestType=STUDY&studyUID=" + link.studyUid());
        }
        log.enqueue(endpoint, link.id(), bundle.version(), bundle.json()).ifPresent(d ->
            LOG.info("event=fse.notify.queued delivery={} link={} version={}", d.id(), d.linkId(), d.version()));
      }
    }
  }

  private void deliverDue() throws SqlUnavailableException {
    for (Delivery d : log.due(20)) {
      String secret = secrets.get(d.endpoint());
      if (secret == null) continue; // an endpoint no longer configured keeps its log, unsent
      long t = Instant.now().getEpochSecond();
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(d.endpoint())).timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/fhir+json").header("X-Imago-Delivery", Long.toString(d.id()))
            .header("X-Imago-Signature", "t=" + t + ",v1=" + sign(secret, t, d.payload()))
            .POST(HttpRequest.BodyPublishers.ofString(d.payload(), StandardCharsets.UTF_8)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 == 2) {
          log.delivered(d.id(), r.statusCode());
          LOG.info("event=fse.notify.delivered delivery={} link={} version={} attempt={}", d.id(), d.linkId(), d.version(),
              d.attempts() + 1);
        } else {
          retry(d, r.statusCode(), "HTTP " + r.statusCode());
        }
      } catch (java.io.IOException e) {
        retry(d, null, e.getClass().getSimpleName() + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void retry(Delivery d, Integer status, String error) throws SqlUnavailableException {
    Duration wait = Duration.ofSeconds(1L << Math.min(16, d.attempts()));
    if (wait.compareTo(MAX_BACKOFF) > 0) wait = MAX_BACKOFF;
    log.failed(d.id(), status, error, Instant.now().plus(wait));
    LOG.warn("event=fse.notify.retry delivery={} link={} attempt={} next={} error=\"{}\"", d.id(), d.linkId(), d.attempts() + 1,
        wait, error);
  }

  /** The signature a receiver recomputes: hex HMAC-SHA256 over {@code t + "." + body}. */
  public static String sign(String secret, long t, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public List<Delivery> deliveries(long linkId) throws SqlUnavailableException {
    return log.ofLink(linkId);
  }
}
