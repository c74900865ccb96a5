package imago.node.dicomweb.wado;

import imago.storage.object.ObjectStore;
import imago.web.Blocking;
import imago.web.InputStreamReadStream;
import imago.web.LogPaths;
import imago.web.Problem;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.InputStream;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a {@link Body}: literal bytes as they are, stored ranges streamed from S3 one after another
 * through a Vert.x pipe (back-pressure: an S3 chunk is read only when the client has taken the
 * last), so a whole study never sits in memory. Answers a single {@code Range: bytes=} with 206.
 */
final class BodySender {
  private static final Logger LOG = LoggerFactory.getLogger(BodySender.class);
  private static final Pattern RANGE = Pattern.compile("^\\s*bytes\\s*=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*$");

  private final Vertx vertx;
  private final ObjectStore store;
  private final WorkerExecutor workers;

  BodySender(Vertx vertx, ObjectStore store, WorkerExecutor workers) {
    this.vertx = vertx;
    this.store = store;
    this.workers = workers;
  }

  /** 200 with the whole body, or 206/416 for a Range request (RFC 9110 §14.2). */
  void send(HttpServerRequest request, String contentType, Body body) {
    send(request, contentType, body, null);
  }

  /** The same with a strong ETag (null: none): 304 when the client holds this representation already. */
  void send(HttpServerRequest request, String contentType, Body body, String etag) {
    HttpServerResponse response = request.response();
    if (etag != null) {
      if (Validators.notModified(request, etag)) {
        Validators.notModifiedAnswer(response, etag);
        return;
      }
      Validators.headers(response, etag);
    }
    response.putHeader("Content-Type", contentType).putHeader("Accept-Ranges", "bytes")
        // DICOM is incompressible enough, and a compressed body would break Content-Length and ranges
        .putHeader("Content-Encoding", "identity");
    String range = request.getHeader("Range");
    String ifRange = request.getHeader("If-Range");
    if (range != null && ifRange != null && (etag == null || !ifRange.trim().equals(etag))) {
      range = null; // RFC 9110 §13.1.5: the client's partial copy is of another representation: send it whole
    }
    Body out = body;
    if (range != null) {
      long[] r = range(range, body.length());
      if (r == null) {
        // not a single byte range we understand: the whole body (RFC 9110 §14.2 allows ignoring Range)
      } else if (r.length == 0) {
        response.putHeader("Content-Range", "bytes */" + body.length());
        Problem.of(416, "range-not-satisfiable", "Range not satisfiable", range).send(response);
        return;
      } else {
        out = body.slice(r[0], r[1]);
        response.setStatusCode(206).putHeader("Content-Range", "bytes " + r[0] + "-" + (r[1] - 1) + "/" + body.length());
      }
    }
    response.putHeader("Content-Length", Long.toString(out.length()));
    if (request.method() == io.vertx.core.http.HttpMethod.HEAD) {
      response.end();
      return;
    }
    Promise<Void> done = Promise.promise();
    next(vertx.getOrCreateContext(), response, out.segments().iterator(), done);
    done.future().onComplete(ar -> {
      if (ar.succeeded()) {
        response.end();
      } else {
        // headers and part of the body are gone: all that is left is to cut the connection
        LOG.warn("event=wado.stream.failed path={} reason=\"{}\"", LogPaths.redact(request.path()), ar.cause().getMessage());
        response.reset();
      }
    });
  }

  private void next(Context context, HttpServerResponse response, Iterator<Body.Segment> segments, Promise<Void> done) {
    if (!segments.hasNext()) {
      done.complete();
      return;
    }
    if (response.closed()) {
      done.fail("client closed the connection");
      return;
    }
    Body.Segment segment = segments.next();
    if (segment instanceof Body.Literal l) {
      response.write(Buffer.buffer().appendBytes(l.bytes(), l.offset(), l.size()));
      next(context, response, segments, done);
      return;
    }
    Body.Stored s = (Body.Stored) segment;
    Blocking.<InputStream>run(workers, () -> store.get(s.key(), s.offset(), s.length())
        .orElseThrow(() -> new java.io.FileNotFoundException("object " + s.key() + " is missing")))
        .onComplete(opened -> context.runOnContext(v -> {
          if (opened.failed()) {
            done.fail(opened.cause());
            return;
          }
          InputStreamReadStream stream = new InputStreamReadStream(context, workers, opened.result());
          stream.pipe().endOnSuccess(false).endOnFailure(false).to(response).onComplete(piped -> {
            if (piped.failed()) {
              stream.close();
              done.fail(piped.cause());
            } else {
              next(context, response, segments, done);
            }
          });
        }));
  }

  /** [from, to) of a single {@code bytes=} range; empty when unsatisfiable; null when not understood. */
  static long[] range(String header, long length) {
    Matcher m = RANGE.matcher(header);
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) return null;
    try {
      if (m.group(1).isEmpty()) {
        long suffix = Long.parseLong(m.group(2));
        if (suffix == 0 || length == 0) return new long[0];
        return new long[] {Math.max(0, length - suffix), length};
      }
      long from = Long.parseLong(m.group(1));
      long to = m.group(2).isEmpty() ? length - 1 : Math.min(Long.parseLong(m.group(2)), length - 1);
      if (from >= length || to < from) return new long[0];
      return new long[] {from, to + 1};
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
