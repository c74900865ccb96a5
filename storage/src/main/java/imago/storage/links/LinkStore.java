package imago.storage.links;

import imago.storage.index.SqlUnavailableException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** FSE links in SQL (table fse_links). */
public interface LinkStore {

  Link create(String tokenSha256, String tenantId, String studyUid, Set<Link.Right> rights, String createdBy,
      Instant expiresAt) throws SqlUnavailableException;

  /** The link a presented token opens, by the token's SHA-256 (revoked and expired ones too: the caller decides). */
  Optional<Link> byTokenSha256(String tokenSha256) throws SqlUnavailableException;

  Optional<Link> find(String tenantId, long id) throws SqlUnavailableException;

  List<Link> ofStudy(String tenantId, String studyUid) throws SqlUnavailableException;

  /** The tenant's newest {@code max} links, revoked and expired ones included, newest first. */
  List<Link> recent(String tenantId, int max) throws SqlUnavailableException;

  /** Links neither revoked nor expired, oldest first: those whose holders are told of new results. */
  List<Link> live(int max) throws SqlUnavailableException;

  /** Revokes a link of the tenant: the Study Instance UID it opened, empty when there is none or it was revoked already. */
  Optional<String> revoke(String tenantId, long id, String by) throws SqlUnavailableException;
}
