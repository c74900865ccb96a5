package imago.node.viewer;

import imago.web.Problem;
import imago.web.ProblemException;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * IHE IID Invoke Image Display (RAD-106): {@code /IHEInvokeImageDisplay?requestType=STUDY&studyUID=...}
 * (one UID or several, comma-separated) or {@code requestType=PATIENT&patientID=...} opens the
 * viewer, the URL pattern other regions' FSE viewers embed. The user's own sign-in and rights
 * apply: the viewer asks for a token when it has none, and a study outside the user's rights is
 * not found there, exactly as in the viewer's own list.
 */
public final class IidRouter {
  private final Vertx vertx;
  private final String viewerBase;

  public IidRouter(Vertx vertx, String viewerBase) {
    this.vertx = vertx;
    this.viewerBase = viewerBase;
  }

  /** Mounted at {@code /IHEInvokeImageDisplay}. */
  public Routes routes() {
    Routes r = new Routes(vertx);
    r.get("").handler(this::invoke);
    return r;
  }

  private void invoke(RoutingContext ctx) {
    String type = ctx.request().getParam("requestType");
    String target;
    if ("STUDY".equalsIgnoreCase(type)) {
      String studies = ctx.request().getParam("studyUID");
      if (studies == null || !studies.matches("[0-9.]{1,64}(,[0-9.]{1,64})*")) {
        throw refused("requestType=STUDY needs studyUID: one or more UIDs, comma-separated");
      }
      target = viewerBase + "/viewer?StudyInstanceUIDs=" + studies;
    } else if ("PATIENT".equalsIgnoreCase(type)) {
      String patient = ctx.request().getParam("patientID");
      if (patient == null || patient.isBlank()) {
        throw refused("requestType=PATIENT needs patientID");
      }
      // RAD-106 allows "id^^^&issuer&ISO": the viewer's study list filters on the ID itself.
      String id = patient.split("\\^", 2)[0];
      target = viewerBase + "/?mrn=" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    } else {
      throw refused("requestType must be STUDY or PATIENT (IHE RAD-106)");
    }
    ctx.response().setStatusCode(302).putHeader("Location", target).putHeader("Cache-Control", "no-store").end();
  }

  private static ProblemException refused(String detail) {
    return Problem.of(400, "bad-request", "Invalid IID request", detail).exception();
  }
}
