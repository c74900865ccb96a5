package imago.inference.engine;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The model file formats Imago runs. {@link #id()} is the manifest's spelling. */
public enum Framework {
  TORCHSCRIPT("torchscript"),
  ONNX("onnx"),
  KERAS_H5("keras-h5"),
  DL4J("dl4j");

  private final String id;

  Framework(String id) {
    this.id = id;
  }

  /** The manifest's spelling, e.g. {@code keras-h5}. */
  public String id() {
    return id;
  }

  /** The framework a manifest names; unknown ids fail with the list of valid ones. */
  public static Framework parse(String id) {
    for (Framework framework : values()) {
      if (framework.id.equals(id)) {
        return framework;
      }
    }
    String valid = Arrays.stream(values()).map(Framework::id).collect(Collectors.joining(", "));
    throw new IllegalArgumentException("unknown framework '" + id + "'; valid: " + valid);
  }

  @Override
  public String toString() {
    return id;
  }
}
