package imago.inference.engine;

import java.util.Optional;

/** What every loaded model reports about itself, whatever engine holds it. */
abstract class ModelIdentity implements LoadedModel {

  private final Framework framework;
  private final String engine;
  private final String device;
  private final Optional<long[]> declaredInputShape;

  ModelIdentity(Framework framework, String engine, String device, Optional<long[]> declaredInputShape) {
    this.framework = framework;
    this.engine = engine;
    this.device = device;
    this.declaredInputShape = declaredInputShape;
  }

  @Override
  public Framework framework() {
    return framework;
  }

  @Override
  public String engine() {
    return engine;
  }

  @Override
  public String device() {
    return device;
  }

  @Override
  public Optional<long[]> declaredInputShape() {
    return declaredInputShape.map(long[]::clone);
  }

  @Override
  public String toString() {
    return framework + " on " + engine;
  }
}
