package imago.node.dicomweb;

import imago.web.Access;
import imago.web.PublicUrl;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * One family of DICOMweb resources (STOW-RS, QIDO-RS, WADO-RS): adds its routes to the
 * {@code /dicomweb} routes, where every request is already authenticated (Access.caller(ctx)).
 */
public interface DicomWebService {
  void mount(Routes dicomweb);

  /** The {@code /dicomweb} routes: every request authenticated first, then the services' routes. */
  static Routes routes(Vertx vertx, Access access, List<DicomWebService> services) {
    Routes dicomweb = new Routes(vertx).filter(access.authenticate());
    services.forEach(service -> service.mount(dicomweb));
    return dicomweb;
  }

  /**
   * The DICOMweb root this request came through ({@code http://host:8080/dicomweb}, or a link's
   * {@code .../l/{token}/dicomweb}) at Imago's public address: RetrieveURLs and BulkDataURIs must
   * lead back the way the client came.
   */
  static String root(RoutingContext ctx, PublicUrl publicUrl) {
    return publicUrl.of(ctx.request()) + mount(ctx);
  }

  /** The path DICOMweb is mounted at for this request, without a trailing slash. */
  static String mount(RoutingContext ctx) {
    String mount = ctx.mountPoint();
    return mount == null ? "/dicomweb" : mount.replaceAll("/+$", "");
  }
}
