package imago.bench;

import imago.core.synthetic.SyntheticCt;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code GenerateCt DIR STUDIES INSTANCES_PER_STUDY SEED [SIZE]}: deterministic CT studies (SIZE x SIZE
 * int16, 512 by default), plus {@code DIR.manifest.tsv} (beside DIR, so DIR holds only DICOM):
 * patient ID, study, series and first instance UID of every study, for load generators.
 */
public final class GenerateCt {
  private GenerateCt() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int studies = Integer.parseInt(args[1]);
    int perStudy = Integer.parseInt(args[2]);
    long seed = Long.parseLong(args[3]);
    int size = args.length > 4 ? Integer.parseInt(args[4]) : 512;
    SyntheticCt.Spec spec = SyntheticCt.Spec.of(studies, 1, perStudy).withSeed(seed).withSize(size, size)
        .withPatientPrefix("BENCH");
    long t = System.nanoTime();
    int n = SyntheticCt.write(spec, dir).size();
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(dir.resolveSibling(dir.getFileName() + ".manifest.tsv")))) {
      for (int s = 1; s <= studies; s++) {
        out.printf("%s\t%s\t%s\t%s%n", SyntheticCt.patientId(spec, s), SyntheticCt.studyInstanceUid(spec, s),
            SyntheticCt.seriesInstanceUid(spec, s, 1), SyntheticCt.sopInstanceUid(spec, s, 1, 1));
      }
    }
    System.err.printf("generated %d instances in %s (%.1f s)%n", n, dir, (System.nanoTime() - t) / 1e9);
  }
}
