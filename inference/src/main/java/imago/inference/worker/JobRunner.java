package imago.inference.worker;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.inference.batch.DynamicBatcher;
import imago.inference.batch.ModelHost;
import imago.inference.engine.InferenceException;
import imago.inference.engine.ModelLoadException;
import imago.inference.manifest.InvalidManifestException;
import imago.inference.manifest.Manifest;
import imago.inference.metrics.InferenceMetrics.Stage;
import imago.inference.metrics.InferenceMetrics;
import imago.inference.pipeline.DecodedImage;
import imago.inference.pipeline.Decoder;
import imago.inference.pipeline.ManifestPreprocessor;
import imago.inference.pipeline.NotDecodableException;
import imago.inference.results.Algorithm;
import imago.inference.results.ResultIds;
import imago.inference.results.ResultUids;
import imago.inference.results.SegWriter;
import imago.inference.results.SegmentMeasurements;
import imago.inference.results.SrWriter;
import imago.storage.index.Index;
import imago.storage.jobs.JobQueue;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.StoredInstance;
import imago.storage.ingest.IngestOutcome;
import imago.storage.jobs.Job;
import imago.storage.models.ModelCatalog;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import imago.storage.object.ObjectStore;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Runs one job through the pipeline: fetch the series' instances from S3 -> decode -> preprocess
 * into {@link Sample}s ({@link SampleBuilder}, on the decode pool) -> the model version's dynamic
 * batcher, fed instance by instance so decoding overlaps the engine -> {@link Postprocessor} ->
 * result objects (SR TID 1500, SEG) stored into the study (not for a shadow version's job, whose
 * results are not clinical) -> the JSON result ({@link ResultJson}).
 */
public final class JobRunner {
  /** The series number Imago's AI result series carry (SR, SEG), high so they sort after the images. */
  static final int SR_SERIES_NUMBER = 9901;
  static final int SEG_SERIES_NUMBER = 9902;

  private final ResultUids uids;
  private final Index index;
  private final ObjectStore store;
  private final ModelCatalog catalog;
  private final JobQueue jobs;
  private final ModelHost host;
  private final Decoder decoder;
  private final ResultWriter writer;
  private final ExecutorService decodePool;
  private final InferenceMetrics metrics;
  private final String imagoVersion;

  public JobRunner(Index index, ObjectStore store, ModelCatalog catalog, JobQueue jobs, ModelHost host, Decoder decoder,
      ResultWriter writer, ResultUids uids, ExecutorService decodePool, InferenceMetrics metrics, String imagoVersion) {
    this.uids = uids;
    this.index = index;
    this.store = store;
    this.catalog = catalog;
    this.jobs = jobs;
    this.host = host;
    this.decoder = decoder;
    this.writer = writer;
    this.decodePool = decodePool;
    this.metrics = metrics;
    this.imagoVersion = imagoVersion;
  }

  /** One source instance: its header for the result objects, its decoded pixels and its own inputs. */
  private record Source(StoredInstance stored, AttributeList header, DecodedImage image, List<float[]> inputs,
      String notDecodable) {}

  /** A sample at the batcher, its output to come. */
  private record Pending(Sample sample, CompletableFuture<float[]> output) {}

  /**
   * The job's instances once every one is prepared: the decoded ones in instance order (what a
   * sample's {@code source} counts), the ones skipped as not decodable, and the samples at the batcher.
   */
  private record Submitted(List<Source> decoded, List<Source> skipped, List<Pending> pending) {
    List<AttributeList> headers() {
      return decoded.stream().map(Source::header).toList();
    }

    List<DecodedImage> images() {
      return decoded.stream().map(Source::image).toList();
    }

    List<String> sopInstanceUids() {
      return decoded.stream().map(s -> s.stored().sopInstanceUid()).toList();
    }

    List<ResultJson.NotDecodable> notDecodable() {
      return skipped.stream().map(s -> new ResultJson.NotDecodable(s.stored().sopInstanceUid(), s.notDecodable())).toList();
    }
  }

  /** Runs the job; returns its JSON result. */
  public JsonObject run(Job job) throws JobFailure {
    ModelVersion version = version(job);
    ModelHost.Hosted model = hosted(job, version);
    Manifest manifest = model.manifest();
    SampleBuilder samples = new SampleBuilder(new ManifestPreprocessor(manifest));
    Submitted submitted = submit(prepare(instances(job), samples), samples, manifest, model.batcher());
    List<SampleOutput> outputs = await(submitted.pending());
    Postprocessor post = new Postprocessor(manifest);
    Algorithm algorithm = new Algorithm(version.name(), version.version(), version.artifactSha256(), version.deviceUid(),
        imagoVersion, Algorithm.parameters(manifest));
    ResultJson json = new ResultJson(job, version, manifest.task(), model.replicas().get(0).engine(),
        submitted.sopInstanceUids(), submitted.notDecodable());
    try {
      if (manifest.task() == Manifest.Task.CLASSIFICATION) {
        Postprocessor.Classification classification = post.classify(outputs, submitted.images());
        ResultIds ids = ids(job, "sr", SR_SERIES_NUMBER);
        if (job.shadow()) return json.classification(classification, null);
        ResultIds replaces = replaced(job, "sr", SR_SERIES_NUMBER);
        byte[] sr = new SrWriter().write(algorithm, submitted.headers(), classification.findings(), ids, replaces);
        return json.classification(classification, store(job, sr, "SR", ids, replaces));
      }
      if (manifest.task() == Manifest.Task.DETECTION) {
        Postprocessor.Detection detection = post.detect(outputs, submitted.images());
        if (job.shadow()) return json.detection(detection, null);
        ResultIds ids = ids(job, "sr", SR_SERIES_NUMBER);
        ResultIds replaces = replaced(job, "sr", SR_SERIES_NUMBER);
        byte[] sr = new SrWriter().writeDetections(algorithm, submitted.headers(), detection.findings(),
            detection.regions(), ids, replaces);
        return json.detection(detection, store(job, sr, "SR", ids, replaces));
      }
      Postprocessor.Segmentation segmentation = post.segment(outputs, submitted.images());
      List<Manifest.Segment> labelMap = manifest.output().labelMap();
      List<SegmentMeasurements> measured = SegmentMeasurements.of(labelMap.size(), segmentation.masks(), submitted.headers());
      if (job.shadow()) return json.segmentation(labelMap, segmentation, measured, List.of());
      ResultIds ids = ids(job, "seg", SEG_SERIES_NUMBER);
      byte[] seg = new SegWriter().write(algorithm, submitted.headers(), labelMap, segmentation.masks(), ids);
      // A SEG has no predecessor attribute: the amendment is told in the JSON result and by the SR's
      JsonObject storedSeg = store(job, seg, "SEG", ids, replaced(job, "seg", SEG_SERIES_NUMBER));
      // beside it, the report measuring each segment (TID 1500/1411), which viewers list as measurements
      ResultIds srIds = ids(job, "sr", SR_SERIES_NUMBER);
      ResultIds srReplaces = replaced(job, "sr", SR_SERIES_NUMBER);
      byte[] sr = new SrWriter().writeSegmentation(algorithm, submitted.headers(), labelMap, measured, ids, srIds,
          srReplaces);
      return json.segmentation(labelMap, segmentation, measured, List.of(storedSeg, store(job, sr, "SR", srIds, srReplaces)));
    } catch (InferenceException e) {
      throw JobFailure.permanent(e.getMessage(), e);
    }
  }

  private ModelHost.Hosted hosted(Job job, ModelVersion version) throws JobFailure {
    try {
      return host.get(version);
    } catch (ModelLoadException | InvalidManifestException e) {
      throw JobFailure.permanent("model " + job.modelName() + " " + job.modelVersion() + " does not load: " + e.getMessage(), e);
    } catch (IOException e) {
      throw JobFailure.passing("fetching the model artifact: " + e.getMessage(), e);
    }
  }

  private ModelVersion version(Job job) throws JobFailure {
    try {
      ModelVersion v = catalog.find(job.modelName(), job.modelVersion())
          .orElseThrow(() -> JobFailure.permanent("model version " + job.modelName() + " " + job.modelVersion()
              + " is not registered", null));
      if (v.state() == ModelState.FAILED || v.state() == ModelState.REGISTERED) {
        throw JobFailure.permanent("model version " + v.name() + " " + v.version() + " is " + v.state().id(), null);
      }
      return v;
    } catch (SqlUnavailableException e) {
      throw JobFailure.passing(e.getMessage(), e);
    }
  }

  private List<StoredInstance> instances(Job job) throws JobFailure {
    try {
      List<StoredInstance> list = index.instances(Scope.tenant(job.tenantId()), job.studyUid(), job.seriesUid(), null);
      if (list.isEmpty()) throw JobFailure.permanent("series " + job.seriesUid() + " has no instances any more", null);
      return list;
    } catch (SqlUnavailableException e) {
      throw JobFailure.passing(e.getMessage(), e);
    }
  }

  /**
   * Starts fetching, decoding and preparing every instance on the decode pool; the instances come
   * in instance order. Nothing goes to the model here: {@link #submit} sends the samples.
   */
  private List<CompletableFuture<Source>> prepare(List<StoredInstance> instances, SampleBuilder samples) {
    List<CompletableFuture<Source>> preparing = new ArrayList<>();
    for (StoredInstance inst : instances) {
      preparing.add(CompletableFuture.supplyAsync(() -> prepare(inst, samples), decodePool));
    }
    return preparing;
  }

  /**
   * Sends each instance's samples to the batcher as soon as that instance is prepared, in instance
   * order, so decoding the next instances overlaps the engine running the first ones; a series
   * stack goes once every instance is in.
   */
  private Submitted submit(List<CompletableFuture<Source>> preparing, SampleBuilder samples, Manifest manifest,
      DynamicBatcher batcher) throws JobFailure {
    List<Source> decoded = new ArrayList<>();
    List<Source> skipped = new ArrayList<>();
    List<Pending> pending = new ArrayList<>();
    for (CompletableFuture<Source> next : preparing) {
      Source source = prepared(next);
      if (source.notDecodable() != null) {
        skipped.add(source);
        continue;
      }
      for (Sample s : Sample.frames(decoded.size(), source.inputs())) pending.add(submit(batcher, s));
      decoded.add(source);
    }
    if (decoded.isEmpty()) {
      throw JobFailure.permanent("not decodable: " + skipped.get(0).notDecodable()
          + (skipped.size() > 1 ? " (and " + (skipped.size() - 1) + " more instances)" : ""), null);
    }
    if (samples.perSeries()) {
      if (manifest.task() == Manifest.Task.SEGMENTATION) {
        throw JobFailure.permanent("segmentation of a per-series stack is not supported: use per-instance stacking", null);
      }
      long t = System.nanoTime();
      List<Sample> stack = samples.series(decoded.stream().map(Source::image).toList());
      metrics.time(Stage.PREPROCESS, System.nanoTime() - t);
      for (Sample s : stack) pending.add(submit(batcher, s));
    }
    return new Submitted(decoded, skipped, pending);
  }

  private static Pending submit(DynamicBatcher batcher, Sample sample) {
    return new Pending(sample, batcher.submit(sample.input()));
  }

  private static Source prepared(CompletableFuture<Source> preparing) throws JobFailure {
    try {
      return preparing.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof PassingFailure p) throw JobFailure.passing(p.getMessage(), p.getCause());
      throw JobFailure.permanent("preparing the input: " + e.getCause(), e.getCause());
    }
  }

  /** An unchecked carrier of a passing failure out of the decode pool. */
  private static final class PassingFailure extends RuntimeException {
    PassingFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private Source prepare(StoredInstance inst, SampleBuilder samples) {
    long t0 = System.nanoTime();
    byte[] bytes;
    try (InputStream in = store.get(inst.objectKey()).orElseThrow(() -> new PassingFailure("object " + inst.objectKey()
        + " of instance " + inst.sopInstanceUid() + " is missing from the object store", null))) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new PassingFailure("fetching " + inst.sopInstanceUid() + ": " + e.getMessage(), e);
    }
    long t1 = System.nanoTime();
    metrics.time(Stage.FETCH, t1 - t0);
    AttributeList header;
    try {
      header = header(bytes);
    } catch (IOException | DicomException e) {
      return new Source(inst, null, null, List.of(), inst.sopInstanceUid() + ": unreadable header: " + e.getMessage());
    }
    DecodedImage image;
    try {
      image = decoder.decode(new ByteArrayInputStream(bytes));
    } catch (NotDecodableException | IOException e) {
      return new Source(inst, header, null, List.of(), inst.sopInstanceUid() + ": " + e.getMessage());
    }
    long t2 = System.nanoTime();
    metrics.time(Stage.DECODE, t2 - t1);
    List<float[]> inputs = samples.frames(image);
    metrics.time(Stage.PREPROCESS, System.nanoTime() - t2);
    return new Source(inst, header, image, inputs, null);
  }

  /** The data set without its pixel data: what the result objects copy and reference. */
  static AttributeList header(byte[] part10) throws IOException, DicomException {
    AttributeList list = new AttributeList();
    try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(part10))) {
      list.read(in, TagFromName.PixelData);
    }
    return list;
  }

  private static List<SampleOutput> await(List<Pending> pending) throws JobFailure {
    List<SampleOutput> out = new ArrayList<>();
    for (Pending p : pending) {
      try {
        out.add(new SampleOutput(p.sample(), p.output().get()));
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw JobFailure.permanent("the model failed: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw JobFailure.passing("interrupted while the model ran", e);
      }
    }
    return out;
  }

  private JsonObject store(Job job, byte[] part10, String modality, ResultIds ids, ResultIds replaces) throws JobFailure {
    long t = System.nanoTime();
    IngestOutcome outcome = writer.write(job.tenantId(), job.id(), part10);
    metrics.time(Stage.WRITE, System.nanoTime() - t);
    return ResultJson.stored(job, modality, ids, outcome.sopClassUid(), replaces);
  }

  /**
   * The result this job's result amends: that of the latest finished job of the same series and
   * model version on earlier input (instances arrived after it ran), or null.
   */
  private ResultIds replaced(Job job, String kind, int seriesNumber) throws JobFailure {
    try {
      return jobs.replaced(job).map(earlier -> ids(earlier, kind, seriesNumber)).orElse(null);
    } catch (SqlUnavailableException e) {
      throw JobFailure.passing("looking up the result this one replaces: " + e.getMessage(), e);
    }
  }

  /**
   * The result object's identity, fixed by the job: a second run of the same job (after a lost
   * lease) writes the same UIDs and the same bytes, which ingest stores once. One result series per
   * study, model version and kind. Keyed ({@link ResultUids}): only Imago can compute them.
   */
  ResultIds ids(Job job, String kind, int seriesNumber) {
    String series = uid("imago:result-series:" + kind + ":" + job.tenantId() + ":" + job.studyUid() + ":" + job.modelName()
        + ":" + job.modelVersion());
    String sop = uid("imago:result:" + kind + ":" + job.tenantId() + ":" + job.seriesUid() + ":" + job.modelName() + ":"
        + job.modelVersion() + ":" + job.inputKey());
    return new ResultIds(series, sop, seriesNumber, (int) (job.id() % 1_000_000) + 1, job.createdAt());
  }

  private String uid(String name) {
    return uids.uid(name);
  }
}
