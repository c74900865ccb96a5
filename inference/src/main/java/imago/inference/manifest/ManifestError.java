package imago.inference.manifest;

/**
 * One thing wrong with a manifest: where (a JSON Pointer, RFC 6901, into the manifest; "" is the
 * whole document) and what, in words a researcher can act on.
 */
public record ManifestError(String path, String message) {
  @Override
  public String toString() {
    return (path.isEmpty() ? "/" : path) + ": " + message;
  }
}
