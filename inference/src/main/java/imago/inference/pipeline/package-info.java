/**
 * The first two steps of the inference path ({@code Decoder -> Preprocessor -> Batcher -> Engine
 * -> Postprocessor -> ResultWriter}): {@link imago.inference.pipeline.Decoder} turns a PS3.10
 * file into modality values, {@link imago.inference.pipeline.Preprocessor} turns those into one
 * model input sample as the model's manifest declares.
 */
package imago.inference.pipeline;
