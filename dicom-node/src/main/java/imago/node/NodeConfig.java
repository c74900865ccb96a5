package imago.node;

import java.time.Duration;

/** The {@code node} section of the configuration (see imago-defaults.yaml for every key). */
public record NodeConfig(String aeTitle, String bindAddress, int dicomPort, int httpPort, String publicUrl,
    int maxAssociations, int maxPduLength, Duration socketTimeout, long maxStowRequestSize,
    Duration stableQuietPeriod) {

  /** Base URL for RetrieveURLs in DICOMweb responses. */
  public String baseUrl() {
    return publicUrl == null || publicUrl.isBlank() ? "http://localhost:" + httpPort : publicUrl.replaceAll("/+$", "");
  }

  public NodeConfig withPorts(int dicom, int http) {
    return new NodeConfig(aeTitle, bindAddress, dicom, http, publicUrl, maxAssociations, maxPduLength, socketTimeout,
        maxStowRequestSize, stableQuietPeriod);
  }
}
