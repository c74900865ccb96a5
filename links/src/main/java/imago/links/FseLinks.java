package imago.links;

import imago.core.tenant.Caller;
import imago.storage.index.Index;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import imago.storage.index.query.InvalidQueryException;
import imago.storage.index.query.QueryAttributes;
import imago.storage.index.query.QueryLevel;
import imago.storage.index.query.QueryMatch;
import imago.storage.index.query.QueryRequest;
import imago.storage.links.Link;
import imago.storage.links.LinkStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Issuing FSE links: the study an FSE report names (by its UID, or by accession number and
 * patient ID), the link's rights and lifetime within the configured bounds, and the capability
 * token, returned once and stored only as its hash.
 */
public final class FseLinks {
  /** Which study a link opens, its rights, and when it ends (null: the configured default lifetime). */
  public record Request(String studyUid, String accessionNumber, String patientId, Set<Link.Right> rights, Instant expiresAt,
      Duration ttl) {}

  /** A new link and its token, which exists nowhere else from now on. */
  public record Issued(Link link, String token) {}

  /** The request itself is wrong: no study named, no rights, an expiry in the past or beyond links.maxTtl. */
  public static final class InvalidRequestException extends IllegalArgumentException {
    public InvalidRequestException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The request names no study of the caller's tenant. */
  public static final class NoSuchStudyException extends Exception {
    NoSuchStudyException(String message) {
      super(message);
    }
  }

  /** Accession number and patient ID match several studies: the caller must name one by its UID. */
  public static final class AmbiguousStudyException extends Exception {
    AmbiguousStudyException(String message) {
      super(message);
    }
  }

  private final LinkStore links;
  private final Index index;
  private final LinksConfig config;
  private final Clock clock;

  public FseLinks(LinkStore links, Index index, LinksConfig config, Clock clock) {
    this.links = links;
    this.index = index;
    this.config = config;
    this.clock = clock;
  }

  /**
   * When a link asked for ends: {@code expiresAt}, else now plus {@code ttl}, else plus
   * links.defaultTtl; in the future and within links.maxTtl, or InvalidRequestException.
   */
  public Instant expiry(Instant expiresAt, Duration ttl) {
    Instant now = clock.instant();
    Instant at = expiresAt != null ? expiresAt : now.plus(ttl != null ? ttl : config.defaultTtl());
    if (!at.isAfter(now)) throw new InvalidRequestException("the expiry must be in the future: " + at, null);
    if (at.isAfter(now.plus(config.maxTtl()))) {
      throw new InvalidRequestException("a link lives at most " + config.maxTtl().toDays() + " days (links.maxTtl)", null);
    }
    return at;
  }

  public Issued issue(Caller caller, Request request)
      throws NoSuchStudyException, AmbiguousStudyException, SqlUnavailableException {
    if (request.rights().isEmpty()) throw new InvalidRequestException("rights must name at least one of view, download", null);
    Instant expiresAt = expiry(request.expiresAt(), request.ttl());
    String study = study(caller, request);
    String token = CapabilityToken.generate();
    Link link = links.create(CapabilityToken.sha256(token), caller.tenantId(), study, request.rights(), caller.subject(),
        expiresAt);
    return new Issued(link, token);
  }

  private String study(Caller caller, Request request)
      throws NoSuchStudyException, AmbiguousStudyException, SqlUnavailableException {
    Scope scope = Scope.tenant(caller.tenantId());
    if (request.studyUid() != null) {
      if (index.instances(scope, request.studyUid(), null, null).isEmpty()) throw new NoSuchStudyException(request.studyUid());
      return request.studyUid();
    }
    if (request.accessionNumber() == null || request.patientId() == null) {
      throw new InvalidRequestException("give studyUID, or accessionNumber and patientID", null);
    }
    List<QueryMatch> found;
    try {
      found = index.query(scope, QueryRequest.of(QueryLevel.STUDY, Map.of(
          QueryAttributes.byKeyword("AccessionNumber").orElseThrow().tag(), request.accessionNumber(),
          QueryAttributes.PATIENT_ID, request.patientId()), 2)).matches();
    } catch (InvalidQueryException e) {
      throw new InvalidRequestException(e.getMessage(), e);
    }
    String which = "accession number " + request.accessionNumber() + " of patient ID " + request.patientId();
    if (found.isEmpty()) throw new NoSuchStudyException(which + ": no study");
    if (found.size() > 1) throw new AmbiguousStudyException(which + ": several studies");
    return found.get(0).studyUid();
  }
}
