package imago.storage.links;

import imago.storage.index.SqlUnavailableException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The delivery log of FSE notifications (table fse_deliveries): what was sent, when, and how it went. */
public interface DeliveryLog {

  /** Records a delivery to make unless this (endpoint, link, version) has one; empty if it had. */
  Optional<Delivery> enqueue(String endpoint, long linkId, long version, String payload) throws SqlUnavailableException;

  /** Whether this (endpoint, link, version) has a delivery, pending or done. */
  boolean has(String endpoint, long linkId, long version) throws SqlUnavailableException;

  /** Pending deliveries due now, oldest first. */
  List<Delivery> due(int max) throws SqlUnavailableException;

  void delivered(long id, int status) throws SqlUnavailableException;

  /** A failed attempt: tried again at {@code next}. */
  void failed(long id, Integer status, String error, Instant next) throws SqlUnavailableException;

  List<Delivery> ofLink(long linkId) throws SqlUnavailableException;
}
