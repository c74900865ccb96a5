package imago.storage.jobs;

import java.util.Locale;

/**
 * An inference job's life: {@code queued -> running -> done}; a run that fails for a reason that
 * will not change (not decodable, wrong output shape, the model throws) ends {@code failed}; one
 * that fails for a passing reason (storage down, a worker killed) is queued again with backoff and
 * ends {@code dead} after the configured number of attempts.
 */
public enum JobState {
  QUEUED, RUNNING, DONE, FAILED, DEAD;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static JobState parse(String id) {
    return valueOf(id.trim().toUpperCase(Locale.ROOT));
  }

  public boolean finished() {
    return this == DONE || this == FAILED || this == DEAD;
  }
}
