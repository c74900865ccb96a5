package imago.links.fhir;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.hl7.fhir.r4.model.Reference;

/**
 * Resource ids that follow from what the resource describes (UIDs, job ids), so the same link
 * always gives the same Bundle. References use the entry's {@code urn:uuid:} fullUrl, which makes
 * the Bundle self-contained (FHIR R4 Bundle, "Resolving references in Bundles"). Patient
 * IDs enter only hashed, so no id or reference repeats one.
 */
final class LocalIds {
  private LocalIds() {}

  static String of(String kind, Object... keys) {
    StringBuilder name = new StringBuilder("imago:fhir:").append(kind);
    for (Object key : keys) name.append('\n').append(key);
    return UUID.nameUUIDFromBytes(name.toString().getBytes(StandardCharsets.UTF_8)).toString();
  }

  static String fullUrl(String id) {
    return "urn:uuid:" + id;
  }

  static Reference reference(String id) {
    return new Reference(fullUrl(id));
  }
}
