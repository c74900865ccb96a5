package imago.web;

/** A failure that already knows its HTTP problem: the web server's failure handler sends it as it is. */
public final class ProblemException extends RuntimeException {
  private final Problem problem;

  public ProblemException(Problem problem) {
    super(problem.title(), null, false, false);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }
}
