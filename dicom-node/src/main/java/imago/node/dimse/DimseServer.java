package imago.node.dimse;

import com.pixelmed.network.AReleaseException;
import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationFactory;
import imago.core.dicom.DicomStatus;
import imago.core.io.Spool;
import imago.core.tenant.Tenant;
import imago.core.tenant.Tenants;
import imago.core.text.LogText;
import imago.node.NodeConfig;
import imago.storage.ingest.Ingest;
import imago.web.tls.Bcp195;
import imago.web.tls.PeerIdentity;
import imago.web.tls.TlsMaterial;
import java.io.IOException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DIMSE SCP: Imago's own accept loop over PixelMed's association layer. Before a peer is
 * known, it holds little: its A-ASSOCIATE-RQ must arrive whole within {@link #REQUEST_DEADLINE}
 * (trickling bytes does not extend it), one address has at most {@link #PER_ADDRESS} connections
 * open, and waiting for requests uses a pool of its own, larger than the association slots. Only
 * an admitted association takes one of the {@code node.maxAssociations} slots; when all are busy
 * the peer gets a transient A-ASSOCIATE-RJ (local limit exceeded) and can retry. So idle or
 * trickling sockets cannot lock a hospital out.
 *
 * <p>It listens twice: plain DIMSE on {@code node.dicomPort} (loopback by default) and DICOM TLS
 * (PS3.15 Annex B, BCP 195 profile) on {@code node.dicomTlsPort}, where a peer must present a
 * client certificate from a trusted CA that names its tenant and AE title. The TLS handshake
 * counts against the same request deadline.
 */
public final class DimseServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DimseServer.class);

  private final NodeConfig config;
  private final AssociationGate gate;
  private final Ingest ingest;
  /** How long an A-ASSOCIATE-RQ may take to arrive, whole (PS3.8's ARTIM timer, as dcmtk's default). */
  static final Duration REQUEST_DEADLINE = Duration.ofSeconds(10);
  /** Connections one address may hold open at once (associations and requests still arriving). */
  static final int PER_ADDRESS = 64;
  /** Connections waiting for their request or associated, all addresses together. */
  static final int CONNECTIONS = 256;

  private final ThreadPoolExecutor pool;
  /** Sockets of the associations being served, closed first when the server closes. */
  private final Set<Socket> live = ConcurrentHashMap.newKeySet();
  private final Semaphore slots;
  private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
  private final AtomicInteger associations = new AtomicInteger();
  private final AtomicInteger ended = new AtomicInteger();
  private final StorePresentationPolicy policy = new StorePresentationPolicy();
  private final FindScp find;
  private final MoveScp move;
  private final GetScp get;
  private final TlsMaterial tls;
  private final ScheduledExecutorService deadlines;
  private ServerSocket plain;
  private ServerSocket secure;
  private volatile boolean running;

  /**
   * Stores what peers send through {@code ingest}; answers C-FIND with {@code find}, C-MOVE with
   * {@code move} and C-GET with {@code get} (Patient Root and Study Root).
   */
  public DimseServer(NodeConfig config, Tenants tenants, Ingest ingest, FindScp find, MoveScp move, GetScp get) {
    this(config, tenants, ingest, find, move, get, null);
  }

  /** As above, and DICOM TLS on {@code node.dicomTlsPort} with {@code tls}'s keys and client CAs (null: no TLS listener). */
  public DimseServer(NodeConfig config, Tenants tenants, Ingest ingest, FindScp find, MoveScp move, GetScp get,
      TlsMaterial tls) {
    this.config = config;
    this.tls = tls;
    java.util.concurrent.ScheduledThreadPoolExecutor deadlines = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "dimse-deadline");
      t.setDaemon(true);
      return t;
    });
    deadlines.setRemoveOnCancelPolicy(true); // one cancelled deadline per connection would otherwise wait out its 10 s
    this.deadlines = deadlines;
    this.gate = new AssociationGate(config.aeTitle(), tenants);
    this.ingest = ingest;
    this.find = Objects.requireNonNull(find, "find");
    this.move = Objects.requireNonNull(move, "move");
    this.get = Objects.requireNonNull(get, "get");
    AtomicInteger n = new AtomicInteger();
    this.slots = new Semaphore(config.maxAssociations());
    int threads = Math.max(CONNECTIONS, config.maxAssociations());
    this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "dimse-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
  }

  public void start() throws IOException {
    running = true;
    if (config.dicomPort() >= 0) {
      plain = bind(new ServerSocket(), config.bindAddress(), config.dicomPort());
      LOG.info("event=dimse.listening ae={} host={} port={} tls=false maxAssociations={}", config.aeTitle(),
          config.bindAddress(), port(), config.maxAssociations());
    }
    if (tls != null && config.dicomTlsPort() >= 0) {
      SSLServerSocket socket = (SSLServerSocket) tls.dicomServerContext().getServerSocketFactory().createServerSocket();
      SSLParameters parameters = Bcp195.apply(socket.getSSLParameters(), socket.getSupportedCipherSuites());
      parameters.setNeedClientAuth(true); // PS3.15 B.1: both ends authenticate
      socket.setSSLParameters(parameters);
      secure = bind(socket, config.tlsBindAddress(), config.dicomTlsPort());
      LOG.info("event=dimse.listening ae={} host={} port={} tls=true", config.aeTitle(), config.tlsBindAddress(), tlsPort());
    }
  }

  private ServerSocket bind(ServerSocket socket, String host, int port) throws IOException {
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
    Thread acceptor = new Thread(() -> acceptLoop(socket), socket instanceof SSLServerSocket ? "dimse-tls-accept" : "dimse-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    return socket;
  }

  /** The plain DIMSE port (-1 when not listening). */
  public int port() {
    return plain == null ? -1 : plain.getLocalPort();
  }

  /** The DICOM TLS port (-1 when not listening). */
  public int tlsPort() {
    return secure == null ? -1 : secure.getLocalPort();
  }

  private void acceptLoop(ServerSocket server) {
    while (running) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (running) LOG.warn("event=dimse.accept.failed reason=\"{}\"", e.getMessage());
        continue;
      }
      InetAddress address = socket.getInetAddress();
      AtomicInteger open = perAddress.compute(address, (a, n) -> {
        AtomicInteger count = n == null ? new AtomicInteger() : n;
        count.incrementAndGet();
        return count;
      });
      if (open.get() > PER_ADDRESS) {
        release(address, open);
        LOG.warn("event=association.dropped peer={} reason=\"more than {} connections from this address\"", address,
            PER_ADDRESS);
        closeQuietly(socket);
        continue;
      }
      try {
        socket.setTcpNoDelay(true);
        live.add(socket);
        pool.execute(() -> {
          try {
            serve(socket);
          } finally {
            live.remove(socket);
            release(address, open);
          }
        });
      } catch (RejectedExecutionException | SocketException e) {
        live.remove(socket);
        release(address, open);
        LOG.warn("event=association.dropped peer={} reason=\"all {} connections busy\"", address, CONNECTIONS);
        closeQuietly(socket);
      }
    }
  }

  /** Both the count and its removal under the map's lock, so a connection never lands on a removed counter. */
  private void release(InetAddress address, AtomicInteger open) {
    perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() == 0 ? null : n);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // going anyway
    }
  }

  private void serve(Socket socket) {
    long start = System.nanoTime();
    String peer = socket.getRemoteSocketAddress().toString();
    int id = associations.incrementAndGet();
    try (socket; Spool spool = ingest.newSpool()) {
      AssociationGate.Decision decision = admit(socket, peer);
      if (decision instanceof AssociationGate.Decision.NotAssociation n) {
        LOG.warn("event=association.dropped peer={} reason=\"{}\"", peer, n.why());
        return;
      }
      if (decision instanceof AssociationGate.Decision.Rejected r) {
        AssociationGate.reject(socket.getOutputStream(), r.result(), r.source(), r.reason());
        // The titles are the peer's own bytes: quoted and escaped, they cannot forge a log line.
        LOG.warn("event=association.rejected peer={} calling={} called={} reason=\"{}\"", peer, LogText.quoted(r.callingAe()),
            LogText.quoted(r.calledAe()), r.why());
        return;
      }
      AssociationGate.Decision.Admitted admitted = (AssociationGate.Decision.Admitted) decision;
      if (!slots.tryAcquire()) {
        AssociationGate.reject(socket.getOutputStream(), AssociationGate.TRANSIENT, AssociationGate.SOURCE_PRESENTATION,
            AssociationGate.REASON_LOCAL_LIMIT_EXCEEDED);
        LOG.warn("event=association.rejected peer={} calling={} reason=\"all {} association slots busy\"", peer,
            admitted.callingAe(), config.maxAssociations());
        return;
      }
      try {
        associate(socket, admitted, spool, peer, id, start);
      } finally {
        slots.release();
      }
    } catch (Exception e) {
      LOG.warn("event=association.failed id={} peer={} reason=\"{}\"", id, peer, e.getMessage());
    } finally {
      ended.incrementAndGet();
    }
  }

  /**
   * The TLS handshake (over DICOM TLS) and the A-ASSOCIATE-RQ, both within {@link #REQUEST_DEADLINE}:
   * a peer that stalls in the handshake has its socket closed at the deadline.
   */
  private AssociationGate.Decision admit(Socket socket, String peer) throws IOException {
    long deadline = System.nanoTime() + REQUEST_DEADLINE.toNanos();
    ScheduledFuture<?> cut = deadlines.schedule(() -> closeQuietly(socket), REQUEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    try {
      AssociationGate.Transport transport = AssociationGate.PLAIN;
      if (socket instanceof SSLSocket ssl) {
        ssl.setSoTimeout((int) REQUEST_DEADLINE.toMillis());
        try {
          ssl.startHandshake();
        } catch (IOException e) {
          return new AssociationGate.Decision.NotAssociation("TLS handshake failed: " + LogText.quoted(String.valueOf(e.getMessage())));
        }
        Certificate[] chain = ssl.getSession().getPeerCertificates();
        transport = new AssociationGate.Transport.Tls(PeerIdentity.of((X509Certificate) chain[0]), tls.vouchedTenant(chain));
      }
      return gate.admit(socket, deadline, transport);
    } finally {
      cut.cancel(false);
    }
  }

  /** One admitted association, from its A-ASSOCIATE-AC to its end. */
  private void associate(Socket socket, AssociationGate.Decision.Admitted admitted, Spool spool, String peer, int id,
      long start) throws Exception {
    socket.setSoTimeout((int) config.socketTimeout().toMillis());
    GatedSocket gated = new GatedSocket(socket, admitted.request(), config.maxPduLength());
    Association as = AssociationFactory.createNewAssociation(gated, config.aeTitle(), config.maxPduLength(),
        1 << 20, 1 << 20, policy);
    gated.association(as);
    StoreScp store = new StoreScp(ingest);
    // The audit names the peer by its address alone, as it names HTTP clients (the port changes with every association).
    DimseRequest.Peer requester = new DimseRequest.Peer(admitted.tenant(), admitted.callingAe(),
        socket.getInetAddress().getHostAddress());
    as.setReceivedDataHandler(new DimseDispatcher(services(store, get.session(), admitted.tenant().rights(admitted.callingAe())),
        requester, spool));
    String end = "released";
    try {
      as.waitForPDataPDUsUntilHandlerReportsDone();
    } catch (AReleaseException e) {
      end = "released";
    } catch (Exception e) {
      end = abort(gated, e);
    }
    StoreScp.Tally tally = store.tally();
    LOG.info("event=association.end id={} calling={} tenant={} stored={} failed={} end={} ms={}", id,
        admitted.callingAe(), admitted.tenant().id(), tally.stored(), tally.failed(), end,
        (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * The services of one association by the command field they answer (PS3.7 §9.3, §E). C-STORE
   * counts what the association stored; C-GET keeps the operation that the requester's
   * C-STORE-RSPs and C-CANCEL-RQ belong to.
   */
  private Map<Integer, DimseService> services(StoreScp store, GetScp.Session gets, Set<Tenant.Right> rights) {
    return Map.of(
        DimseCommand.C_ECHO_RQ, EchoScp::answer,
        DimseCommand.C_STORE_RQ, rights.contains(Tenant.Right.STORE) ? store : refused("store"),
        DimseCommand.C_FIND_RQ, rights.contains(Tenant.Right.QUERY) ? find::answer : refused("query"),
        DimseCommand.C_MOVE_RQ, rights.contains(Tenant.Right.RETRIEVE) ? move::answer : refused("retrieve"),
        DimseCommand.C_GET_RQ, rights.contains(Tenant.Right.RETRIEVE) ? gets::answer : refused("retrieve"),
        DimseCommand.C_STORE_RSP, gets::subOperationAnswered,
        DimseCommand.C_CANCEL_RQ, gets::cancel);
  }

  /** A service the calling AE has no right to (tenants[].aeRights): refused, the association goes on. */
  private static DimseService refused(String right) {
    return rq -> {
      LOG.warn("event=dimse.refused calling={} tenant={} reason=\"no {} right\"", rq.peer().callingAe(), rq.peer().tenant().id(),
          right);
      rq.respond(DicomStatus.NOT_AUTHORIZED, "AE " + rq.peer().callingAe() + " has no " + right + " right (tenants[].aeRights)");
    };
  }

  /** How many connections this server has begun to serve. */
  public int associationsStarted() {
    return associations.get();
  }

  /** How many connections have been served to their end: spool cleaned up, socket closed. */
  public int associationsEnded() {
    return ended.get();
  }

  /**
   * The association ended abnormally: a PDU stream that lied (the guard has already sent A-ABORT),
   * or a peer that aborted or vanished.
   */
  private static String abort(GatedSocket socket, Exception e) {
    String violation = socket.pduViolation();
    if (violation != null) return "aborted: " + violation;
    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return "aborted: " + why.replace('"', '\'');
  }

  @Override
  public void close() {
    running = false;
    for (ServerSocket s : new ServerSocket[] {plain, secure}) {
      try {
        if (s != null) s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    // Open associations end by their sockets closing, which PixelMed takes as the peer going away;
    // an interrupt while it waits out ARTIM after a release would be logged as an error instead.
    pool.shutdown();
    live.forEach(DimseServer::closeQuietly);
    try {
      if (!pool.awaitTermination(2, TimeUnit.SECONDS)) pool.shutdownNow();
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
    deadlines.shutdownNow();
  }
}
