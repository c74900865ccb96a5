package imago.inference.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import imago.inference.manifest.Manifest;
import imago.inference.results.Finding;
import imago.inference.results.ResultIds;
import imago.inference.results.SegmentMeasurements;
import imago.storage.jobs.Job;
import imago.storage.jobs.JobState;
import imago.storage.models.ModelState;
import imago.storage.models.ModelVersion;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The result JSON exactly, field order included: the web UI, the job API and the links' FHIR
 * bundle ({@code imago.links.fhir.AiResult}) read it, so a change here is a change to them.
 */
class ResultJsonTest {
  private static final Instant CREATED = Instant.parse("2024-05-06T07:08:09Z");
  private static final Job JOB = new Job(42, "demo", "2.25.100", "2.25.200", "lesion-cls", "1.0.0", "input-key", 3, null,
      JobState.RUNNING, 1, CREATED, "worker-1", CREATED, null, null, CREATED, CREATED, null, false);
  private static final ModelVersion VERSION = new ModelVersion(7, "lesion-cls", "1.0.0", "demo", "onnx",
      "classification", ModelState.ACTIVE, ModelVersion.PRIMARY, null, "models/lesion-cls/1.0.0/model.onnx", "ab12cd",
      1234, "2.25.300", "{}", "{}", "researcher@demo", CREATED, CREATED);
  private static final ResultIds IDS = new ResultIds("2.25.400", "2.25.500", 9901, 43, CREATED);
  private static final Sample FIRST = new Sample(0, 0, new float[0]);
  private static final Sample SECOND_FRAME_OF_SECOND = new Sample(1, 1, new float[0]);

  private static ResultJson json(Manifest.Task task, List<ResultJson.NotDecodable> notDecodable) {
    return new ResultJson(JOB, VERSION, task, "OnnxRuntime 1.20.0 cpu()", List.of("2.25.1", "2.25.2"), notDecodable);
  }

  @Test
  void aClassificationNamesEachLabelsFindingEachSamplesProbabilitiesAndTheSr() {
    Postprocessor.Classification classification = new Postprocessor.Classification(
        List.of(new Postprocessor.Scored(FIRST, new double[] {0.25, 0.25}),
            new Postprocessor.Scored(SECOND_FRAME_OF_SECOND, new double[] {0.75, 0.125})),
        List.of(new Postprocessor.Found(new Finding("lesion", TestManifests.LESION, 0.75, 0.5), SECOND_FRAME_OF_SECOND),
            new Postprocessor.Found(new Finding("uncoded", new Manifest.Code("99IMAGO", "L2", "uncoded"), 0.25, Double.NaN),
                FIRST)));
    List<ResultJson.NotDecodable> skipped = List.of(new ResultJson.NotDecodable("2.25.3", "2.25.3: not decodable"));

    String json = json(Manifest.Task.CLASSIFICATION, skipped).classification(classification,
        ResultJson.stored(JOB, "SR", IDS, "1.2.840.10008.5.1.4.1.1.88.34", null)).encode();

    assertEquals(oneLine("""
        {"job":42,"tenant":"demo","studyInstanceUID":"2.25.100","seriesInstanceUID":"2.25.200","task":"classification",
        "model":{"name":"lesion-cls","version":"1.0.0","sha256":"ab12cd","deviceUID":"2.25.300",
        "engine":"OnnxRuntime 1.20.0 cpu()"},
        "instances":2,"notDecodable":[{"sopInstanceUID":"2.25.3","reason":"2.25.3: not decodable"}],
        "findings":[
        {"label":"lesion","code":{"scheme":"SCT","value":"52988006","meaning":"Lesion"},"probability":0.75,
        "threshold":0.5,"present":true,"sopInstanceUID":"2.25.2","frame":2},
        {"label":"uncoded","code":{"scheme":"99IMAGO","value":"L2","meaning":"uncoded"},"probability":0.25,
        "threshold":null,"present":false,"sopInstanceUID":"2.25.1","frame":1}],
        "images":[
        {"sopInstanceUID":"2.25.1","frame":1,"probabilities":[0.25,0.25]},
        {"sopInstanceUID":"2.25.2","frame":2,"probabilities":[0.75,0.125]}],
        "objects":[{"modality":"SR","studyInstanceUID":"2.25.100","seriesInstanceUID":"2.25.400",
        "sopInstanceUID":"2.25.500","sopClassUID":"1.2.840.10008.5.1.4.1.1.88.34",
        "retrieveURL":"/dicomweb/studies/2.25.100/series/2.25.400/instances/2.25.500"}]}
        """), json);
  }

  @Test
  void aSegmentationNamesEachSegmentsPixelsAreaVolumeAndItsSegAndSr() {
    List<Manifest.Segment> labelMap = List.of(TestManifests.segment("lesion", TestManifests.LESION),
        TestManifests.segment("cyst", null));
    Postprocessor.Segmentation segmentation = new Postprocessor.Segmentation(List.of(), new long[] {98, 0});

    List<SegmentMeasurements> measured = List.of(new SegmentMeasurements(1, 24.5, 61.25),
        new SegmentMeasurements(2, 0.0, null));
    ResultIds srIds = new ResultIds("2.25.600", "2.25.700", 9901, 44, CREATED);
    String json = json(Manifest.Task.SEGMENTATION, List.of()).segmentation(labelMap, segmentation, measured,
        List.of(ResultJson.stored(JOB, "SEG", IDS, "1.2.840.10008.5.1.4.1.1.66.4", null),
            ResultJson.stored(JOB, "SR", srIds, "1.2.840.10008.5.1.4.1.1.88.34", null))).encode();

    assertEquals(oneLine("""
        {"job":42,"tenant":"demo","studyInstanceUID":"2.25.100","seriesInstanceUID":"2.25.200","task":"segmentation",
        "model":{"name":"lesion-cls","version":"1.0.0","sha256":"ab12cd","deviceUID":"2.25.300",
        "engine":"OnnxRuntime 1.20.0 cpu()"},
        "instances":2,"notDecodable":[],
        "segments":[
        {"segmentNumber":1,"label":"lesion","code":{"scheme":"SCT","value":"52988006","meaning":"Lesion"},"pixels":98,
        "largestAreaMm2":24.5,"volumeMm3":61.25},
        {"segmentNumber":2,"label":"cyst","code":null,"pixels":0,"largestAreaMm2":0.0,"volumeMm3":null}],
        "objects":[{"modality":"SEG","studyInstanceUID":"2.25.100","seriesInstanceUID":"2.25.400",
        "sopInstanceUID":"2.25.500","sopClassUID":"1.2.840.10008.5.1.4.1.1.66.4",
        "retrieveURL":"/dicomweb/studies/2.25.100/series/2.25.400/instances/2.25.500"},
        {"modality":"SR","studyInstanceUID":"2.25.100","seriesInstanceUID":"2.25.600",
        "sopInstanceUID":"2.25.700","sopClassUID":"1.2.840.10008.5.1.4.1.1.88.34",
        "retrieveURL":"/dicomweb/studies/2.25.100/series/2.25.600/instances/2.25.700"}]}
        """), json);
  }

  /** The expected JSON is wrapped for reading; the encoded JSON has no line breaks. */
  private static String oneLine(String wrapped) {
    return wrapped.replace("\n", "");
  }
}
