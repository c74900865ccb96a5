package imago.storage.audit;

import imago.storage.index.AuditEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * An audit row as a DICOM Audit Message (PS3.15 Annex A.5, the format of IHE ATNA's Record Audit
 * Event): what happened (EventIdentification), who did it and Imago's part in it
 * (ActiveParticipant), which system reports it and for which hospital (AuditSourceIdentification),
 * and the study (ParticipantObjectIdentification). Rows keep no patient ID, so no Patient
 * participant is sent.
 */
final class AuditMessage {
  /** A coded value (PS3.15 A.5.1: csd-code, codeSystemName, originalText). */
  record Code(String code, String system, String meaning) {
    static Code dcm(String code, String meaning) {
      return new Code(code, "DCM", meaning);
    }
  }

  private static final Code SOURCE = Code.dcm("110153", "Source Role ID");
  private static final Code DESTINATION = Code.dcm("110152", "Destination Role ID");
  private static final Code APPLICATION = Code.dcm("110150", "Application");
  private static final Code STUDY_INSTANCE_UID = Code.dcm("110180", "Study Instance UID");
  private static final Code APPLICATION_SERVER = Code.dcm("4", "Application Server Process Tier");

  /** Which way the data went: whether the user is the source or the destination of the instances. */
  enum Flow { TO_IMAGO, FROM_IMAGO, NONE }

  /** An audit action in DICOM's vocabulary (PS3.15 A.5.3 and PS3.16 CID 400-403). */
  enum Event {
    STORED(Code.dcm("110104", "DICOM Instances Transferred"), "C", Flow.TO_IMAGO, null),
    RETRIEVED(Code.dcm("110104", "DICOM Instances Transferred"), "R", Flow.FROM_IMAGO, null),
    QUERIED(Code.dcm("110112", "Query"), "E", Flow.TO_IMAGO, null),
    ACCESSED(Code.dcm("110103", "DICOM Instances Accessed"), "R", Flow.NONE, null),
    EXPORTED(Code.dcm("110106", "Export"), "R", Flow.FROM_IMAGO, null),
    AUDIT_READ(Code.dcm("110101", "Audit Log Used"), "R", Flow.NONE, null),
    ACCESS_CHANGED(Code.dcm("110113", "Security Alert"), "E", Flow.NONE,
        Code.dcm("110135", "Object Security Attributes Changed"));

    final Code id;
    final String actionCode;
    final Flow flow;
    final Code type;

    Event(Code id, String actionCode, Flow flow, Code type) {
      this.id = id;
      this.actionCode = actionCode;
      this.flow = flow;
      this.type = type;
    }

    /** The event an Imago action is; an action this table does not know reads as an access. */
    static Event of(String action) {
      return switch (action == null ? "" : action) {
        case "store" -> STORED;
        case "retrieve", "metadata", "frames", "rendered", "bulkdata" -> RETRIEVED;
        case "query" -> QUERIED;
        case "link.download" -> EXPORTED;
        case "audit.read" -> AUDIT_READ;
        case "share.grant", "share.revoke", "link.create", "link.revoke" -> ACCESS_CHANGED;
        default -> ACCESSED; // link.viewer, link.fhir, link.kos, ai-results.read
      };
    }
  }

  private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();

  private final String sourceId;
  private final String host;

  /**
   * @param sourceId the AuditSourceID: this Imago (its AE title)
   * @param host this machine's name, Imago's network access point
   */
  AuditMessage(String sourceId, String host) {
    this.sourceId = sourceId;
    this.host = host;
  }

  /** The message for one row, UTF-8. */
  byte[] of(AuditEvent e) {
    Event event = Event.of(e.action());
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    try {
      XMLStreamWriter w = XML.createXMLStreamWriter(out, "UTF-8");
      w.writeStartDocument("UTF-8", "1.0");
      w.writeStartElement("AuditMessage");
      eventIdentification(w, event, e);
      user(w, event, e);
      imago(w, event);
      auditSource(w, e);
      study(w, e);
      w.writeEndElement();
      w.writeEndDocument();
      w.close();
    } catch (XMLStreamException x) {
      throw new IllegalStateException("cannot write an audit message: " + x.getMessage(), x);
    }
    return out.toByteArray();
  }

  private static void eventIdentification(XMLStreamWriter w, Event event, AuditEvent e) throws XMLStreamException {
    w.writeStartElement("EventIdentification");
    w.writeAttribute("EventActionCode", event.actionCode);
    w.writeAttribute("EventDateTime", e.at().truncatedTo(ChronoUnit.MILLIS).toString());
    w.writeAttribute("EventOutcomeIndicator", "0"); // a row is written only for what Imago went on to answer
    code(w, "EventID", event.id);
    if (event.type != null) code(w, "EventTypeCode", event.type);
    w.writeEndElement();
  }

  /** The person or peer who acted, with the role its token or AE gave it (RoleIDCode: RBAC roles, PS3.15 A.5.2). */
  private static void user(XMLStreamWriter w, Event event, AuditEvent e) throws XMLStreamException {
    w.writeStartElement("ActiveParticipant");
    w.writeAttribute("UserID", text(e.subject()));
    if (e.tenantId() != null) w.writeAttribute("AlternativeUserID", text(e.tenantId()));
    w.writeAttribute("UserIsRequestor", "true");
    if (e.remote() != null && !e.remote().isBlank()) {
      w.writeAttribute("NetworkAccessPointID", text(e.remote()));
      w.writeAttribute("NetworkAccessPointTypeCode", isAddress(e.remote()) ? "2" : "1");
    }
    if (event.flow == Flow.TO_IMAGO) code(w, "RoleIDCode", SOURCE);
    if (event.flow == Flow.FROM_IMAGO) code(w, "RoleIDCode", DESTINATION);
    if (e.role() != null) code(w, "RoleIDCode", new Code(e.role(), "Imago", e.role()));
    w.writeEndElement();
  }

  /** Imago itself: the receiver of what was stored, the sender of what was read. */
  private void imago(XMLStreamWriter w, Event event) throws XMLStreamException {
    w.writeStartElement("ActiveParticipant");
    w.writeAttribute("UserID", text(sourceId));
    w.writeAttribute("UserIsRequestor", "false");
    w.writeAttribute("NetworkAccessPointID", text(host));
    w.writeAttribute("NetworkAccessPointTypeCode", isAddress(host) ? "2" : "1");
    code(w, "RoleIDCode", switch (event.flow) {
      case TO_IMAGO -> DESTINATION;
      case FROM_IMAGO -> SOURCE;
      case NONE -> APPLICATION;
    });
    w.writeEndElement();
  }

  /** This Imago, for the hospital whose copy of the study it was. */
  private void auditSource(XMLStreamWriter w, AuditEvent e) throws XMLStreamException {
    String owner = e.ownerTenantId() != null ? e.ownerTenantId() : e.tenantId();
    w.writeStartElement("AuditSourceIdentification");
    if (owner != null) w.writeAttribute("AuditEnterpriseSiteID", text(owner));
    w.writeAttribute("AuditSourceID", text(sourceId));
    code(w, "AuditSourceTypeCode", APPLICATION_SERVER);
    w.writeEndElement();
  }

  /** The study (PS3.15 A.5.2.5: type 2 system object, role 3 report); Imago's own names of the access as details. */
  private static void study(XMLStreamWriter w, AuditEvent e) throws XMLStreamException {
    if (e.studyUid() == null) return;
    w.writeStartElement("ParticipantObjectIdentification");
    w.writeAttribute("ParticipantObjectID", text(e.studyUid()));
    w.writeAttribute("ParticipantObjectTypeCode", "2");
    w.writeAttribute("ParticipantObjectTypeCodeRole", "3");
    code(w, "ParticipantObjectIDTypeCode", STUDY_INSTANCE_UID);
    detail(w, "Action", e.action());
    detail(w, "Via", e.via());
    detail(w, "SeriesInstanceUID", e.seriesUid());
    detail(w, "SOPInstanceUID", e.sopUid());
    w.writeEndElement();
  }

  private static void detail(XMLStreamWriter w, String type, String value) throws XMLStreamException {
    if (value == null || value.isEmpty()) return;
    w.writeEmptyElement("ParticipantObjectDetail");
    w.writeAttribute("type", type);
    w.writeAttribute("value", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
  }

  private static void code(XMLStreamWriter w, String element, Code c) throws XMLStreamException {
    w.writeEmptyElement(element);
    w.writeAttribute("csd-code", text(c.code()));
    w.writeAttribute("codeSystemName", c.system());
    w.writeAttribute("originalText", text(c.meaning()));
  }

  /** An IPv4 or IPv6 literal (NetworkAccessPointTypeCode 2) rather than a name (1). */
  private static boolean isAddress(String s) {
    return s.contains(":") || s.matches("[0-9.]+");
  }

  /**
   * The value with characters XML 1.0 cannot carry replaced (a token's subject is the caller's to
   * choose): the writer escapes markup, not control characters.
   */
  private static String text(String s) {
    if (s == null) return "";
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
          || Character.isSurrogate(c) && validSurrogate(s, i);
      if (!ok && b == null) b = new StringBuilder(s.substring(0, i));
      if (b != null) b.append(ok ? c : '\uFFFD');
    }
    return b == null ? s : b.toString();
  }

  private static boolean validSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
