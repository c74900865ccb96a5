package imago.node.dicomweb;

import imago.core.dicom.DicomStatus;
import imago.core.dicom.json.DicomJson;
import imago.core.dicom.json.DicomJsonWriter;
import imago.core.io.Spool;
import imago.core.multipart.MultipartRelatedParser;
import imago.core.multipart.PartListener;
import imago.core.tenant.Tenant;
import imago.storage.index.Source;
import imago.storage.ingest.Ingest;
import imago.storage.ingest.IngestOutcome;
import imago.storage.ingest.IngestRequest;
import imago.storage.ingest.WriteAudit;
import imago.web.Problem;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One STOW-RS request on its worker thread: network buffers come in through a bounded hand-off
 * (the connection is paused while the worker is behind), the multipart parser streams each part
 * into a spool, and each complete part is ingested before the next is read. What it stores is in
 * the audit before the answer: a row per study, committed with the study's first instance.
 */
final class StowUpload implements Runnable, PartListener {
  private static final Logger LOG = LoggerFactory.getLogger(StowUpload.class);
  private static final int HIGH_WATER = 64;
  private static final int LOW_WATER = 16;
  private static final Object END = new Object();
  // PS3.18 Table 10.5.3-2 attributes of the response
  private static final int RETRIEVE_URL = 0x00081190;
  private static final int FAILED_SOP_SEQUENCE = 0x00081198;
  private static final int REFERENCED_SOP_SEQUENCE = 0x00081199;
  private static final int REFERENCED_SOP_CLASS_UID = 0x00081150;
  private static final int REFERENCED_SOP_INSTANCE_UID = 0x00081155;
  private static final int FAILURE_REASON = 0x00081197;

  private final Vertx vertx;
  private final Context context;
  private final RoutingContext ctx;
  private final Tenant tenant;
  private final String studyUid;
  private final String boundary;
  private final String origin;
  private final WriteAudit audit;
  private final Ingest ingest;
  private final String root;
  private final long maxBytes;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicBoolean paused = new AtomicBoolean();
  private final List<IngestOutcome> outcomes = new ArrayList<>();
  private Spool spool;
  /** The most instances one request may carry. */
  static final int MAX_PARTS = 10_000;
  private int parts;
  private String partProblem;
  private int partProblemStatus;
  private long received;

  StowUpload(Vertx vertx, RoutingContext ctx, Tenant tenant, String studyUid, String boundary, String origin,
      WriteAudit audit, Ingest ingest, String root, long maxBytes) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.ctx = ctx;
    this.tenant = tenant;
    this.studyUid = studyUid;
    this.boundary = boundary;
    this.origin = origin;
    this.audit = audit;
    this.ingest = ingest;
    this.root = root;
    this.maxBytes = maxBytes;
  }

  /** Event loop: a chunk of the body arrived. */
  void offer(Buffer buffer) {
    queue.add(buffer);
    if (queue.size() > HIGH_WATER && paused.compareAndSet(false, true)) ctx.request().pause();
  }

  void end() {
    queue.add(END);
  }

  void broken(Throwable e) {
    queue.add(e);
  }

  @Override
  public void run() {
    MultipartRelatedParser parser = new MultipartRelatedParser(boundary, this);
    try {
      while (true) {
        Object item = queue.take();
        if (paused.get() && queue.size() < LOW_WATER && paused.compareAndSet(true, false)) {
          context.runOnContext(v -> ctx.request().resume());
        }
        if (item == END) break;
        if (item instanceof Throwable t) throw new IOException("connection broke: " + t.getMessage(), t);
        Buffer b = (Buffer) item;
        received += b.length();
        if (received > maxBytes) throw new TooLarge();
        byte[] bytes = b.getBytes();
        parser.feed(bytes, 0, bytes.length);
      }
      parser.finish();
      respond();
    } catch (TooManyParts e) {
      fail(Problem.of(413, "payload-too-large", "Too many parts", "at most " + MAX_PARTS + " instances per STOW-RS request; "
          + "those before the limit were stored (storedSOPInstanceUIDs)"), true);
    } catch (TooLarge e) {
      fail(Problem.of(413, "payload-too-large", "Request too large", "at most " + maxBytes + " bytes per request"), true);
    } catch (IOException e) {
      fail(Problem.of(400, "bad-request", "Malformed multipart body", e.getMessage()), false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeSpool();
    }
  }

  @Override
  public void partStarted(Map<String, String> headers) throws IOException {
    // Each part is an ingest and a line of the answer: their number is bounded like the bytes are.
    if (++parts > MAX_PARTS) throw new TooManyParts();
    String type = headers.get("content-type");
    partProblem = null;
    if (type != null && !MultipartRelatedParser.mediaType(type).equals("application/dicom")) {
      partProblem = "part of type " + type + " is not application/dicom";
      partProblemStatus = DicomStatus.CANNOT_UNDERSTAND;
    }
    closeSpool();
    spool = ingest.newSpool();
  }

  @Override
  public void partData(byte[] b, int off, int len) throws IOException {
    if (partProblem != null) return;
    try {
      spool.write(b, off, len);
    } catch (Spool.SpoolFullException e) {
      partProblem = e.getMessage();
      partProblemStatus = DicomStatus.CANNOT_UNDERSTAND;
    } catch (IOException e) {
      // the disk is full or read-only: the part is refused, the request goes on (PS3.18 §10.5.3)
      partProblem = "cannot receive the instance: " + e.getMessage();
      partProblemStatus = DicomStatus.OUT_OF_RESOURCES;
    }
  }

  @Override
  public void partEnded() {
    IngestOutcome outcome;
    if (partProblem != null) {
      outcome = IngestOutcome.refused(partProblemStatus, partProblem, null, null);
    } else {
      outcome = ingest.store(IngestRequest.part10(tenant, Source.STOW, origin, spool,
          new IngestRequest.Expectations(null, null, studyUid)).audited(audit));
    }
    if (!outcome.ok()) {
      LOG.warn("event=stow.refused tenant={} sop={} status={} reason=\"{}\"", tenant.id(), outcome.sopInstanceUid(),
          DicomStatus.hex(outcome.status()), outcome.reason());
    }
    outcomes.add(outcome);
    closeSpool();
  }

  private void closeSpool() {
    if (spool == null) return;
    try {
      spool.close();
    } catch (IOException ignored) {
      // spool files are temporary; a leftover is removed with the spool folder
    }
    spool = null;
  }

  /** PS3.18 §10.5.3: 200 all stored, 202 some failed, 409 none stored. */
  private void respond() {
    if (outcomes.isEmpty()) {
      fail(Problem.of(400, "bad-request", "No DICOM parts", "the multipart body held no part"), false);
      return;
    }
    List<DicomJsonWriter> referenced = new ArrayList<>();
    List<DicomJsonWriter> failed = new ArrayList<>();
    for (IngestOutcome o : outcomes) {
      DicomJsonWriter item = DicomJson.dataset();
      if (o.sopClassUid() != null) item.uids(REFERENCED_SOP_CLASS_UID, o.sopClassUid());
      if (o.sopInstanceUid() != null) item.uids(REFERENCED_SOP_INSTANCE_UID, o.sopInstanceUid());
      if (o.ok()) {
        item.url(RETRIEVE_URL, root + "/studies/" + o.instance().studyUid() + "/series/"
            + o.instance().seriesUid() + "/instances/" + o.sopInstanceUid());
        referenced.add(item);
      } else {
        item.us(FAILURE_REASON, o.status());
        failed.add(item);
      }
    }
    DicomJsonWriter response = DicomJson.dataset();
    if (studyUid != null) response.url(RETRIEVE_URL, root + "/studies/" + studyUid);
    if (!failed.isEmpty()) response.sequence(FAILED_SOP_SEQUENCE, failed);
    if (!referenced.isEmpty()) response.sequence(REFERENCED_SOP_SEQUENCE, referenced);
    int status = failed.isEmpty() ? 200 : referenced.isEmpty() ? 409 : 202;
    String body = response.toJson().toString();
    LOG.info("event=stow.done tenant={} stored={} failed={} status={}", tenant.id(), referenced.size(), failed.size(), status);
    context.runOnContext(v -> ctx.response().setStatusCode(status)
        .putHeader("Content-Type", DicomJson.MEDIA_TYPE).end(body));
  }

  private void fail(Problem problem, boolean closeConnection) {
    JsonArray stored = new JsonArray();
    outcomes.stream().filter(IngestOutcome::ok).forEach(o -> stored.add(o.sopInstanceUid()));
    Problem p = stored.isEmpty() ? problem : problem.with("storedSOPInstanceUIDs", stored);
    LOG.warn("event=stow.failed tenant={} status={} stored={} reason=\"{}\"", tenant.id(), p.status(), stored.size(), p.detail());
    context.runOnContext(v -> {
      if (closeConnection) ctx.response().putHeader("Connection", "close");
      p.send(ctx.response());
      if (paused.get()) ctx.request().resume();
    });
  }

  private static final class TooManyParts extends IOException {
    TooManyParts() {
      super("too many parts", null);
    }
  }

  private static final class TooLarge extends IOException {
    TooLarge() {
      super("request too large");
    }
  }
}
