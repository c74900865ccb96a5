package imago.app;

import static imago.core.testkit.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imago.core.testkit.Dcmtk;
import imago.core.testkit.PortFinder;
import imago.links.FseNotifier;
import imago.links.fhir.FhirLinkBundle;
import imago.storage.links.Delivery;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AI results travel with the link: storescu pushes a study, a link is made, the reference
 * classifier's SR attaches; the link's FHIR Bundle (parsed with HAPI FHIR) names the model version
 * and the probability, its KOS lists the SR, and the FSE gateway (a receiver that is down at first)
 * gets the Bundle once for that result version, signed, after it comes back.
 */
class FseResultsTest {
  static final String SECRET = "test-secret-0123456789";

  @TempDir static Path tmp;
  static TestImago imago;
  static Vertx receiverVertx = Vertx.vertx();

  @AfterAll
  static void stop() {
    if (imago != null) imago.close();
    receiverVertx.close();
  }

  record Received(String signature, String body) {}

  @Test
  void resultsAttachToTheLinksFhirAndKosAndReachTheGatewayOnceSigned() throws Exception {
    int port = PortFinder.freePort();
    String endpoint = "http://127.0.0.1:" + port + "/fse";
    imago = TestImago.start(tmp.resolve("data"), Map.of("inference.profileBatches", "false",
        // Security: the second gateway serves tenant other only, and hears nothing of demo's links.
        "links.webhooks", "[{url: \"" + endpoint + "\", secret: " + SECRET + ", tenants: [demo]}, {url: \"http://127.0.0.1:"
            + PortFinder.freePort() + "/other-fse\", secret: " + SECRET + ", tenants: [other]}]"));
    InferenceFixture fx = new InferenceFixture(imago, tmp);
    fx.activate(ReferenceModels.model("lesion-cls-torchscript"));
    PhantomStudy study = PhantomStudy.write(tmp.resolve("study"), "PH-R");
    assertTrue(Dcmtk.storescu("127.0.0.1", imago.dicomPort(), "STORESCU", "IMAGO", study.files).ok());
    JsonObject link = new JsonObject(imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + "/fse/links"))
        .header("Authorization", "Bearer " + fx.hospital).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("studyUID", study.studyUid).encode())).build()).body());
    String base = "/l/" + link.getString("token");

    JsonObject job = fx.jobOf(fx.awaitJobs(study.studyUid, 1), "lesion-cls");
    assertEquals("done", job.getString("state"), job.encodePrettily());
    double lesion = job.getJsonObject("result").getJsonArray("findings").getJsonObject(1).getDouble("probability");
    String srUid = job.getJsonObject("result").getJsonArray("objects").getJsonObject(0).getString("sopInstanceUID");

    // FHIR: ImagingStudy with endpoints, DiagnosticReport with the model's Observation.
    HttpResponse<String> fhir = imago.send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + base + "/fhir")).build());
    assertEquals(200, fhir.statusCode(), fhir.body());
    Bundle bundle = FhirLinkBundle.context().newJsonParser().parseResource(Bundle.class, fhir.body());
    ImagingStudy imagingStudy = only(bundle, ImagingStudy.class);
    assertEquals("urn:oid:" + study.studyUid, imagingStudy.getIdentifierFirstRep().getValue());
    assertEquals(2, imagingStudy.getEndpoint().size());
    DiagnosticReport report = only(bundle, DiagnosticReport.class);
    assertEquals(DiagnosticReport.DiagnosticReportStatus.FINAL, report.getStatus());
    Observation finding = bundle.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
        .filter(r -> r instanceof Observation o && o.getCode().getCodingFirstRep().getCode().equals("52988006"))
        .map(r -> (Observation) r).findFirst().orElseThrow();
    assertEquals(lesion, finding.getValueQuantity().getValue().doubleValue(), 1e-9);
    String devices = FhirLinkBundle.context().newJsonParser().encodeResourceToString(bundle);
    assertTrue(devices.contains("lesion-cls") && devices.contains("1.0.0"), "the model version is named");
    assertTrue(fhir.body().contains(srUid), "the SR is linked from the report");

    // KOS lists the SR beside the images.
    HttpResponse<byte[]> kos = imago.http().send(HttpRequest.newBuilder(URI.create(imago.baseUrl() + base + "/kos")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    Path kosFile = Files.write(tmp.resolve("kos.dcm"), kos.body());
    assertTrue(Dcmtk.dcmdump(kosFile, "+L").output().contains(srUid));
    assertEquals(List.of(), Dcmtk.dciodvfyErrors(Dcmtk.dciodvfy(kosFile).output()));

    // The gateway was down: attempts fail and are logged; once it is up, one delivery arrives, signed.
    long linkId = link.getLong("id");
    eventually(Duration.ofSeconds(30), "a first delivery attempt", () ->
        imago.imago.notifier().deliveries(linkId).stream().anyMatch(d -> d.attempts() >= 1));
    Delivery failed = imago.imago.notifier().deliveries(linkId).get(0);
    assertEquals(Delivery.State.PENDING, failed.state());
    assertTrue(failed.lastError() != null && failed.lastError().contains("Connect"), String.valueOf(failed.lastError()));
    List<Received> received = new CopyOnWriteArrayList<>();
    HttpServer receiver = receiverVertx.createHttpServer().requestHandler(rq -> rq.body().onSuccess(b -> {
      received.add(new Received(rq.getHeader("X-Imago-Signature"), b.toString()));
      rq.response().setStatusCode(204).end();
    })).listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
    eventually(Duration.ofSeconds(60), "the webhook receives the Bundle", () -> !received.isEmpty());
    // Delivered is final for a version: once the log says so, nothing more is sent for it.
    eventually(Duration.ofSeconds(30), "the delivery is logged as delivered", () ->
        imago.imago.notifier().deliveries(linkId).get(0).state() == Delivery.State.DELIVERED);
    assertEquals(1, imago.imago.notifier().deliveries(linkId).size(), "one delivery per result version");
    assertEquals(1, received.size(), "one delivery per result version");
    Received r = received.get(0);
    String t = r.signature().replaceAll("^t=(\\d+),v1=.*$", "$1");
    assertEquals("t=" + t + ",v1=" + FseNotifier.sign(SECRET, Long.parseLong(t), r.body()), r.signature(), "signature");
    Bundle delivered = FhirLinkBundle.context().newJsonParser().parseResource(Bundle.class, r.body());
    assertEquals("link-" + linkId + "-v1", delivered.getIdElement().getIdPart());
    assertTrue(r.body().contains(srUid));
    Delivery done = imago.imago.notifier().deliveries(linkId).get(0);
    assertEquals(Delivery.State.DELIVERED, done.state());
    assertTrue(done.attempts() >= 2, "delivered after failed attempts: " + done);
    receiver.close();
  }

  static <T extends Resource> T only(Bundle bundle, Class<T> type) {
    List<T> found = bundle.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(type::isInstance)
        .map(type::cast).toList();
    assertEquals(1, found.size(), type.getSimpleName());
    return found.get(0);
  }
}
