package imago.storage.research;

import java.time.Instant;

/**
 * A model version judged on a project's cohort beside its primary ({@code baselineVersion}, null
 * when the model had none). {@code report} is the JSON the evaluation wrote once both had run.
 */
public record Evaluation(long id, String project, String modelName, String modelVersion, String baselineVersion,
    State state, String requestedBy, Instant requestedAt, Instant finishedAt, String report) {

  public enum State {
    RUNNING, DONE, FAILED;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
