package imago.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * STOW-RS load: {@code StowLoad URL DIR PER_REQUEST PARALLEL [TOKEN]} sends every .dcm file under
 * DIR in multipart/related requests of PER_REQUEST instances, PARALLEL requests at a time, bodies
 * streamed from the files. Prints "instances bytes seconds" on stdout; exits 1 on any non-200.
 */
public final class StowLoad {
  private StowLoad() {}

  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    Path dir = Path.of(args[1]);
    int perRequest = Integer.parseInt(args[2]);
    int parallel = Integer.parseInt(args[3]);
    String token = args.length > 4 ? args[4] : null;
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
    }
    long bytes = 0;
    for (Path f : files) bytes += Files.size(f);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    List<Future<Integer>> results = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < files.size(); i += perRequest) {
      List<Path> batch = files.subList(i, Math.min(files.size(), i + perRequest));
      results.add(pool.submit(() -> send(http, url, batch, token)));
    }
    int failures = 0;
    for (Future<Integer> r : results) {
      int status = r.get();
      if (status != 200) {
        failures++;
        System.err.println("STOW answered " + status);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    System.out.printf("%d %d %.3f%n", files.size(), bytes, seconds);
    System.exit(failures == 0 ? 0 : 1);
  }

  private static int send(HttpClient http, URI url, List<Path> files, String token) throws Exception {
    String boundary = "imago-bench-" + System.nanoTime();
    List<HttpRequest.BodyPublisher> parts = new ArrayList<>();
    for (Path f : files) {
      parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n",
          StandardCharsets.US_ASCII));
      parts.add(HttpRequest.BodyPublishers.ofFile(f));
      parts.add(HttpRequest.BodyPublishers.ofString("\r\n", StandardCharsets.US_ASCII));
    }
    parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "--\r\n", StandardCharsets.US_ASCII));
    HttpRequest.Builder rq = HttpRequest.newBuilder(url)
        .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
        .header("Accept", "application/dicom+json")
        .POST(HttpRequest.BodyPublishers.concat(parts.toArray(HttpRequest.BodyPublisher[]::new)));
    if (token != null && !token.isEmpty()) rq.header("Authorization", "Bearer " + token);
    return http.send(rq.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
