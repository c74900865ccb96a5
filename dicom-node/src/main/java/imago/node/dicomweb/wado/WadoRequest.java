package imago.node.dicomweb.wado;

import imago.core.dicom.Uids;
import imago.core.tenant.Caller;
import imago.storage.index.Scope;
import imago.storage.index.StoredInstance;
import imago.web.Access;
import imago.web.Problem;
import imago.web.ProblemException;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Who asks for what: the caller and their scope (invariant 3), where from, and the study, series
 * and instance UIDs of the path (null below the level asked for).
 */
record WadoRequest(Caller caller, Scope scope, String remote, String study, String series, String sop) {

  /** From a WADO-RS route ({@code :study}, {@code :series}, {@code :instance}); 400 for a malformed UID. */
  static WadoRequest of(RoutingContext ctx) {
    return of(ctx, ctx.pathParam("study"), ctx.pathParam("series"), ctx.pathParam("instance"));
  }

  static WadoRequest of(RoutingContext ctx, String study, String series, String sop) {
    for (String uid : new String[] {study, series, sop}) {
      if (uid != null && !Uids.isValid(uid)) throw problem(400, "bad-request", "Malformed UID", uid);
    }
    Caller caller = Access.caller(ctx);
    return new WadoRequest(caller, Access.scope(caller), Access.remote(ctx), study, series, sop);
  }


  /** 404 whether the UIDs do not exist or belong to someone else: existence is not revealed across tenants. */
  ProblemException notFound() {
    String what = sop != null ? "instance " + sop : series != null ? "series " + series : "study " + study;
    return problem(404, "not-found", "Not found", "no " + what + " that this caller may see");
  }

  /** One audit item per instance. */
  static List<Access.Item> items(List<StoredInstance> instances) {
    List<Access.Item> items = new ArrayList<>(instances.size());
    for (StoredInstance i : instances) items.add(new Access.Item(i.studyUid(), i.seriesUid(), i.sopInstanceUid(), i.tenantId()));
    return items;
  }

  /** One audit item for the level asked (metadata), of {@code ownerTenantId}'s copy. */
  Access.Item levelItem(String ownerTenantId) {
    return new Access.Item(study, series, sop, ownerTenantId);
  }

  static ProblemException problem(int status, String slug, String title, String detail) {
    return Problem.of(status, slug, title, detail).exception();
  }

  static ProblemException notAcceptable(String detail) {
    return problem(406, "not-acceptable", "Not acceptable", detail);
  }
}
