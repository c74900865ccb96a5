package imago.app;

import imago.core.synthetic.SyntheticCt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One request of the STOW-RS fuzz, derived from the run's seed and the request's number alone.
 * Four in ten carry valid files in a mutated body ({@link MultipartMutator}); the others are
 * well-framed bodies of one to four mutated files ({@link DicomFileMutator}), half of them with
 * a valid file beside the bad ones, which must be stored whatever its neighbours are.
 *
 * @param study the study of {@code POST /dicomweb/studies/{study}}, or null for {@code /studies}
 * @param chunked sent without a Content-Length (chunked), the body's length unknown until its end
 * @param mutated how many mutated things the request counts: its body, or its mutated files
 * @param valid a valid file that must be stored, or null
 */
record StowPlan(int number, MultipartMutator.Request request, String study, boolean chunked, int mutated,
    List<String> mutations, byte[] valid, String validSop) {

  /** Where the files mutations start from: synthetic CT and a few of Debian's pydicom corpus files. */
  static final class Bases {
    /** Sequences, implicit and big endian syntaxes, deflate, JPEG 2000, RLE, SR: structures the synthetic CT lacks. */
    private static final List<String> CORPUS_FILES = List.of("MR_small_implicit.dcm", "MR_small_bigendian.dcm",
        "rtplan.dcm", "test-SR.dcm", "image_dfl.dcm", "JPEG2000.dcm", "SC_rgb_rle.dcm", "nested_priv_SQ.dcm",
        "reportsi.dcm", "rtdose_1frame.dcm", "UN_sequence.dcm");

    final SyntheticCt.Spec valid;
    final SyntheticCt.Spec mutable;
    final List<byte[]> corpus = new ArrayList<>();

    Bases(long seed) throws IOException {
      valid = new SyntheticCt.Spec(1, 1, 1_000_000, 16, 16, seed, "FUZZOK");
      mutable = new SyntheticCt.Spec(1, 1, 1_000_000, 16, 16, seed, "FUZZBAD");
      for (String name : CORPUS_FILES) {
        Path file = CorpusTest.CORPUS.resolve(name);
        if (Files.isRegularFile(file)) corpus.add(Files.readAllBytes(file));
      }
    }

    byte[] valid(int index) {
      return SyntheticCt.instance(valid, 1, 1, index);
    }

    String validSop(int index) {
      return SyntheticCt.sopInstanceUid(valid, 1, 1, index);
    }

    String validStudy() {
      return SyntheticCt.studyInstanceUid(valid, 1);
    }

    byte[] mutable(int index, Random r) {
      return corpus.isEmpty() || r.nextBoolean() ? SyntheticCt.instance(mutable, 1, 1, index)
          : corpus.get(r.nextInt(corpus.size()));
    }
  }

  /** Request {@code number}, with at most {@code budget} mutated files. */
  static StowPlan of(long seed, int number, Bases bases, int budget) {
    Random r = new Random(seed * 1_000_003L + number);
    String boundary = "imago-fuzz-" + Long.toHexString(r.nextLong());
    boolean chunked = r.nextInt(4) == 0;
    if (r.nextInt(10) < 4) {
      List<byte[]> parts = new ArrayList<>(List.of(bases.valid(2 * number + 1)));
      if (r.nextBoolean()) parts.add(bases.valid(2 * number + 2));
      MultipartMutator.Mutated m = MultipartMutator.mutate(boundary, parts, r);
      String study = r.nextInt(5) == 0 ? bases.validStudy() : null;
      return new StowPlan(number, m.request(), study, chunked, 1, names("body:", m.applied()), null, null);
    }
    List<byte[]> parts = new ArrayList<>();
    List<String> mutations = new ArrayList<>();
    int files = Math.min(budget, 1 + r.nextInt(4));
    for (int i = 0; i < files; i++) {
      DicomFileMutator.Mutated m = DicomFileMutator.mutate(bases.mutable(4 * number + i + 1, r), r);
      parts.add(m.bytes());
      mutations.addAll(names("file:", m.applied()));
    }
    byte[] valid = null;
    String validSop = null;
    if (r.nextBoolean()) {
      valid = bases.valid(2 * number + 1);
      validSop = bases.validSop(2 * number + 1);
      parts.add(r.nextInt(parts.size() + 1), valid);
    }
    String study = valid != null && r.nextInt(5) == 0 ? bases.validStudy() : null;
    return new StowPlan(number, MultipartMutator.Request.of(boundary, parts), study, chunked, files, mutations, valid,
        validSop);
  }

  private static List<String> names(String prefix, List<? extends Enum<?>> applied) {
    return applied.stream().map(e -> prefix + e.name()).toList();
  }
}
