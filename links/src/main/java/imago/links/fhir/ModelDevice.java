package imago.links.fhir;

import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Device;

/**
 * One model version as a FHIR Device, mirroring the Contributing Equipment Sequence of the SR and
 * SEG it wrote (IHE AIR): the model's name, its version, the Device UID that changes whenever the
 * model does, and the artifact's SHA-256 (DESIGN invariant 4).
 */
final class ModelDevice {
  private ModelDevice() {}

  static String id(AiResult.Model m) {
    return m.deviceUid() != null ? LocalIds.of("Device", m.deviceUid())
        : LocalIds.of("Device", m.name(), m.version(), m.sha256());
  }

  static Device of(String id, AiResult.Model m) {
    Device d = new Device();
    d.setId(id);
    if (m.deviceUid() != null) d.addIdentifier().setSystem(FhirSystems.URI).setValue(FhirSystems.oid(m.deviceUid()));
    if (m.sha256() != null) d.addIdentifier().setSystem(FhirSystems.MODEL_SHA256).setValue(m.sha256());
    if (m.name() != null) d.addDeviceName().setName(m.name()).setType(Device.DeviceNameType.MODELNAME);
    d.setType(new CodeableConcept().setText("AI model (Imago inference)"));
    if (m.version() != null) d.addVersion().setValue(m.version());
    if (m.engine() != null) d.addVersion().setType(new CodeableConcept().setText("inference engine")).setValue(m.engine());
    return d;
  }
}
