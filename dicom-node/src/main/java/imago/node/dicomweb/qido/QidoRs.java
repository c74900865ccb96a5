package imago.node.dicomweb.qido;

import imago.core.dicom.Uids;
import imago.core.dicom.json.DicomJson;
import imago.core.dicom.json.DicomJsonWriter;
import imago.core.tenant.Caller;
import imago.node.NodeConfig;
import imago.node.dicomweb.DicomWebService;
import imago.node.dicomweb.StowRs;
import imago.storage.index.Index;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryResult;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Problem;
import imago.web.PublicUrl;
import imago.web.Routes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * QIDO-RS (PS3.18 §10.6): search for studies, series and instances the caller may see, answered
 * from the index (never from stored objects) on a worker thread, and audited: one row per
 * study, series or instance returned, action "query".
 *
 * <pre>
 * GET /dicomweb/studies
 * GET /dicomweb/studies/{study}/series
 * GET /dicomweb/studies/{study}/series/{series}/instances
 * GET /dicomweb/studies/{study}/instances
 * GET /dicomweb/series
 * GET /dicomweb/instances
 * </pre>
 */
public final class QidoRs implements DicomWebService {
  /** The most results one response carries, whatever {@code limit} asks; the Warning header says when more exist. */
  public static final int DEFAULT_MAX_RESULTS = 1000;

  private final NodeConfig config;
  private final PublicUrl address;
  private final Index index;
  private final Access access;
  private final int maxResults;

  public QidoRs(NodeConfig config, Index index, Access access, int maxResults) {
    this.config = config;
    this.address = config.address();
    this.index = index;
    this.access = access;
    this.maxResults = maxResults;
  }

  @Override
  public void mount(Routes dicomweb) {
    dicomweb.get("/studies").handler(ctx -> search(ctx, QueryLevel.STUDY, null, null));
    dicomweb.get("/studies/:study/series").handler(ctx -> search(ctx, QueryLevel.SERIES, ctx.pathParam("study"), null));
    dicomweb.get("/studies/:study/series/:series/instances")
        .handler(ctx -> search(ctx, QueryLevel.INSTANCE, ctx.pathParam("study"), ctx.pathParam("series")));
    dicomweb.get("/studies/:study/instances").handler(ctx -> search(ctx, QueryLevel.INSTANCE, ctx.pathParam("study"), null));
    dicomweb.get("/series").handler(ctx -> search(ctx, QueryLevel.SERIES, null, null));
    dicomweb.get("/instances").handler(ctx -> search(ctx, QueryLevel.INSTANCE, null, null));
  }

  private void search(RoutingContext ctx, QueryLevel level, String studyUid, String seriesUid) {
    if (!StowRs.acceptsDicomJson(ctx.request().getHeader("Accept"))) {
      throw Problem.of(406, "not-acceptable", "Not acceptable", "QIDO-RS answers application/dicom+json (PS3.18 §10.6.3)")
          .exception();
    }
    for (String uid : new String[] {studyUid, seriesUid}) {
      if (uid != null && !Uids.isValid(uid)) throw Problem.of(400, "bad-request", "Malformed UID", "'" + uid + "' is not a UID").exception();
    }
    QidoQuery query;
    try {
      List<Map.Entry<String, String>> params = new ArrayList<>(ctx.queryParams().entries());
      query = QidoQuery.parse(level, studyUid, seriesUid, params, maxResults);
    } catch (QidoQuery.BadQuery e) {
      throw unsupported(e);
    }
    Caller caller = Access.caller(ctx);
    String remote = Access.remote(ctx);
    String base = DicomWebService.root(ctx, address);
    Blocking.respond(ctx, () -> {
      QueryResult result = run(caller, remote, query);
      // the JSON is written here, on the worker thread: on the event loop it would serialise every answer
      return new Answer(result, render(query, result, base));
    }, answer -> respond(ctx, query, answer, base));
  }

  private static RuntimeException unsupported(Exception e) {
    return Problem.of(400, "bad-request", "Unsupported query", e.getMessage()).exception();
  }

  /** Blocking: the index query, then the audit rows, before anything is answered. */
  private QueryResult run(Caller caller, String remote, QidoQuery query)
      throws SqlUnavailableException {
    QueryResult result;
    try {
      result = index.query(Access.scope(caller), query.request());
    } catch (InvalidQueryException e) {
      throw unsupported(e);
    }
    List<Access.Item> items = new ArrayList<>(result.matches().size());
    for (QueryMatch m : result.matches()) {
      switch (m.level()) {
        case INSTANCE -> items.add(new Access.Item(m.studyUid(), m.seriesUid(), m.sopInstanceUid(), m.tenantId()));
        case SERIES -> items.add(new Access.Item(m.studyUid(), m.seriesUid(), null, m.tenantId()));
        default -> items.add(new Access.Item(m.studyUid(), null, null, m.tenantId()));
      }
    }
    access.record(caller, "query", Access.Via.QIDO_RS, remote, items);
    return result;
  }

  /** A query's matches and their JSON, ready to send (null when none matched). */
  private record Answer(QueryResult result, byte[] json) {}

  private static byte[] render(QidoQuery query, QueryResult result, String base) {
    if (result.matches().isEmpty()) return null;
    Set<Integer> tags = QidoJson.returned(query);
    List<DicomJsonWriter> datasets = new ArrayList<>(result.matches().size());
    for (QueryMatch m : result.matches()) datasets.add(QidoJson.result(m, tags, base));
    return DicomJson.arrayBytes(datasets);
  }

  /**
   * The same search's next page: every parameter as asked, with offset moved on by the page
   * (RFC 8288 {@code Link: <...>; rel="next"}, sent when more matches lie beyond this page).
   */
  private static String nextPage(RoutingContext ctx, String base, QidoQuery query) {
    int limit = query.request().limit();
    if ((long) query.request().offset() + limit > QidoQuery.MAX_OFFSET) return null; // past what may be asked: narrow instead
    String mount = DicomWebService.mount(ctx);
    String path = ctx.request().path();
    StringBuilder url = new StringBuilder(base).append(path.startsWith(mount) ? path.substring(mount.length()) : path);
    char sep = '?';
    for (Map.Entry<String, String> p : ctx.queryParams().entries()) {
      if (p.getKey().equals("offset") || p.getKey().equals("limit")) continue;
      url.append(sep).append(encode(p.getKey())).append('=').append(encode(p.getValue()));
      sep = '&';
    }
    return url.append(sep).append("limit=").append(limit).append("&offset=").append(query.request().offset() + limit)
        .toString();
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  private void respond(RoutingContext ctx, QidoQuery query, Answer answer, String base) {
    HttpServerResponse response = ctx.response();
    List<String> warnings = new ArrayList<>();
    if (answer.result().more()) {
      warnings.add("There are additional results that can be requested");
      String next = nextPage(ctx, base, query);
      if (next != null) response.putHeader("Link", "<" + next + ">; rel=\"next\"");
    }
    if (!query.notKept().isEmpty()) {
      warnings.add("The index does not keep these includefield attributes: " + String.join(", ", query.notKept()));
    }
    // PS3.18 §8.3.4.4 (Warning: 299 {+SERVICE}: {text})
    for (String w : warnings) response.headers().add("Warning", "299 " + base + ": " + w);
    if (answer.json() == null) {
      // PS3.18 §8.3.4.4.1 as published: no match is 204 with no payload (CP-2473 proposes 200 with [])
      response.setStatusCode(204).end();
      return;
    }
    response.setStatusCode(200).putHeader("Content-Type", DicomJson.MEDIA_TYPE).end(Buffer.buffer(answer.json()));
  }

}
