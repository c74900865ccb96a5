package imago.inference.worker;

/** What the model answered for one sample: its raw output, before the {@link Postprocessor}. */
public record SampleOutput(Sample sample, float[] output) {}
