package imago.bench;

import imago.core.synthetic.SyntheticCt;
import java.nio.file.Path;

/** {@code GenerateCt DIR STUDIES INSTANCES_PER_STUDY SEED}: deterministic 512x512 int16 CT studies. */
public final class GenerateCt {
  private GenerateCt() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int studies = Integer.parseInt(args[1]);
    int perStudy = Integer.parseInt(args[2]);
    long seed = Long.parseLong(args[3]);
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(studies, 1, perStudy).withSeed(seed).withPatientPrefix("BENCH");
    long t = System.nanoTime();
    int n = SyntheticCt.write(spec, dir).size();
    System.err.printf("generated %d instances in %s (%.1f s)%n", n, dir, (System.nanoTime() - t) / 1e9);
  }
}
