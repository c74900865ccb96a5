package imago.storage.models;

import java.util.Locale;

/**
 * A model version's lifecycle: {@code registered -> validated -> active -> retired}, or
 * {@code failed} (with the reason) when validation refuses it. Only the state changes; the artifact
 * and manifest of a version never do.
 */
public enum ModelState {
  REGISTERED, VALIDATED, ACTIVE, RETIRED, FAILED;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ModelState parse(String id) {
    return valueOf(id.trim().toUpperCase(Locale.ROOT));
  }
}
