package imago.inference.pipeline;

import java.io.IOException;
import java.io.InputStream;

/** Turns one stored instance into pixel values a {@link Preprocessor} can use. */
public interface Decoder {

  /**
   * Reads a PS3.10 file (preamble, File Meta Information, data set) to its end.
   *
   * @throws NotDecodableException the file is not an image this decoder can turn into values;
   *     the message names the transfer syntax and the reason
   * @throws IOException the stream itself failed
   */
  DecodedImage decode(InputStream part10) throws NotDecodableException, IOException;
}
