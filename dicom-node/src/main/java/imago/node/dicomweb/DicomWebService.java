package imago.node.dicomweb;

import imago.web.Access;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * One family of DICOMweb resources (STOW-RS, QIDO-RS, WADO-RS): adds its routes to the
 * {@code /dicomweb} router, where every request is already authenticated (Access.caller(ctx)).
 */
public interface DicomWebService {
  void mount(Router dicomweb);

  /** The {@code /dicomweb} router: every request authenticated first, then the services' routes. */
  static Router router(Vertx vertx, Access access, List<DicomWebService> services) {
    Router dicomweb = Router.router(vertx);
    dicomweb.route().handler(access.authenticate());
    services.forEach(service -> service.mount(dicomweb));
    return dicomweb;
  }
}
