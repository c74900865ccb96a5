package imago.inference.worker;

/**
 * Why a job did not finish. {@code permanent}: a retry would fail the same way (not decodable,
 * the model throws or answers the wrong shape), so the job ends {@code failed}; otherwise it is
 * queued again with backoff (storage or index unavailable).
 */
public final class JobFailure extends Exception {
  private final boolean permanent;

  private JobFailure(String message, Throwable cause, boolean permanent) {
    super(message, cause);
    this.permanent = permanent;
  }

  public static JobFailure permanent(String message, Throwable cause) {
    return new JobFailure(message, cause, true);
  }

  public static JobFailure passing(String message, Throwable cause) {
    return new JobFailure(message, cause, false);
  }

  public boolean permanent() {
    return permanent;
  }
}
