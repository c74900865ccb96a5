package imago.node.dicomweb;

import io.vertx.ext.web.Router;

/**
 * One family of DICOMweb resources (STOW-RS, QIDO-RS, WADO-RS): adds its routes to the
 * {@code /dicomweb} router, where every request is already authenticated (Access.caller(ctx)).
 */
public interface DicomWebService {
  void mount(Router dicomweb);
}
