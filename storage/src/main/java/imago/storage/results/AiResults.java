package imago.storage.results;

import imago.storage.index.SqlUnavailableException;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobQueue;
import imago.storage.jobs.JobState;
import java.util.ArrayList;
import java.util.List;

/**
 * A study's AI results as the readers outside inference see them (FSE links, their FHIR Bundle and
 * notifications): the finished results of primary versions, and how many are still to come;
 * shadow versions' results are never among them. It reads the inference
 * job rows so that those readers never depend on how jobs are kept.
 */
public final class AiResults {
  /**
   * @param results each finished result's JSON document (as {@code /inference/studies/{uid}/ai-results} gives it), oldest first
   * @param pending results still being computed
   */
  public record OfStudy(List<String> results, int pending) {
    /** Changes exactly when a result attaches: the number of finished results. */
    public long version() {
      return results.size();
    }
  }

  private final JobQueue jobs;

  public AiResults(JobQueue jobs) {
    this.jobs = jobs;
  }

  public OfStudy ofStudy(String tenantId, String studyUid) throws SqlUnavailableException {
    List<String> results = new ArrayList<>();
    int pending = 0;
    for (Job j : jobs.ofStudy(tenantId, studyUid)) {
      if (j.shadow()) continue; // not clinical: a shadow version is being judged, not used
      if (j.state() == JobState.DONE && j.result() != null) results.add(j.result());
      else if (!j.state().finished()) pending++;
    }
    return new OfStudy(List.copyOf(results), pending);
  }
}
