package imago.node.research;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import imago.core.deid.ConfidentialityProfile.Option;
import imago.core.deid.Deidentifier;
import imago.core.deid.PixelCleaner;
import imago.core.dicom.Uids;
import imago.core.dicom.json.AttributeListJson;
import imago.core.dicom.json.DicomJson;
import imago.core.dicom.json.DicomJsonWriter;
import imago.core.tenant.Caller;
import imago.node.dicomweb.wado.WadoRs;
import imago.storage.index.SqlUnavailableException;
import imago.storage.research.Cohort;
import imago.storage.research.Label;
import imago.storage.research.OptOut;
import imago.storage.research.ResearchProject;
import imago.storage.research.ResearchProject.SiteState;
import imago.storage.research.ResearchJudgements;
import imago.storage.research.ResearchProjects;
import imago.web.Access;
import imago.web.Blocking;
import imago.web.Params;
import imago.web.Problem;
import imago.web.ProblemException;
import imago.web.PublicUrl;
import imago.web.Routes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * {@code /research}: research projects (issue 18) and what each opens to its researchers.
 * <ul>
 *   <li>{@code POST /research} a researcher creates a project; {@code GET /research} lists those the
 *       caller works on or decides about; {@code GET /research/{p}} one of them;
 *   <li>{@code POST /research/{p}/researchers}, {@code POST /research/{p}/sites}: a researcher of the
 *       project adds a colleague or invites a hospital;
 *   <li>{@code POST /research/{p}/consent | decline | withdraw}: an invited hospital's admin decides;
 *   <li>{@code /research/opt-outs}: a hospital admin records patients' objections;
 *   <li>{@code GET /research/{p}/export}: the de-identified cohort as a zip (DICOM, and with
 *       {@code nifti=true} NIfTI volumes from dcm2niix);
 *   <li>{@code /research/{p}/dicomweb}: QIDO-RS and WADO-RS on the de-identified view.
 * </ul>
 * A project answers 404 to anyone who is neither its researcher, nor an admin of an invited
 * hospital, nor the region's operator; its data answer 404 to anyone but its researchers. Every
 * access to data is audited per source study under the action {@code research:{p}:...}, so each
 * hospital sees which project read which of its studies.
 */
public final class ResearchRouter {
  /** The options a project gets when it names none: PS3.15 E with modified dates and clean descriptors (issue 18). */
  public static final Set<Option> DEFAULT_OPTIONS = EnumSet.of(Option.RETAIN_LONGITUDINAL_MODIFIED_DATES,
      Option.CLEAN_DESCRIPTORS);
  private static final String STUDY = "/:project/dicomweb/studies/:study";
  /** The most one retrieve of the view holds in memory (it is de-identified whole): larger ones go series by series or by export. */
  private static final long MAX_RETRIEVE_BYTES = 256L << 20;
  private static final String SERIES = STUDY + "/series/:series";
  private static final String INSTANCE = SERIES + "/instances/:instance";
  /** Study-level attributes a research QIDO answer carries. */
  private static final List<AttributeTag> STUDY_TAGS = List.of(TagFromName.PatientName, TagFromName.PatientID,
      TagFromName.PatientBirthDate, TagFromName.PatientSex, TagFromName.StudyInstanceUID, TagFromName.StudyDate,
      TagFromName.StudyTime, TagFromName.AccessionNumber, TagFromName.StudyID, TagFromName.StudyDescription,
      TagFromName.ReferringPhysicianName, TagFromName.ModalitiesInStudy, TagFromName.NumberOfStudyRelatedSeries,
      TagFromName.NumberOfStudyRelatedInstances, TagFromName.PatientIdentityRemoved);
  private static final List<AttributeTag> SERIES_TAGS = List.of(TagFromName.Modality, TagFromName.SeriesInstanceUID,
      TagFromName.SeriesNumber, TagFromName.SeriesDescription, TagFromName.SeriesDate, TagFromName.BodyPartExamined);
  private static final List<AttributeTag> INSTANCE_TAGS = List.of(TagFromName.SOPClassUID, TagFromName.SOPInstanceUID,
      TagFromName.InstanceNumber, TagFromName.Rows, TagFromName.Columns, TagFromName.NumberOfFrames,
      TagFromName.BitsAllocated);

  private final Vertx vertx;
  private final ResearchProjects projects;
  private final Cohort cohort;
  private final Access access;
  private final WadoRs wado;
  private final PublicUrl address;
  private final ResearchExport export;
  private final ResearchJudgements judgements;

  public ResearchRouter(Vertx vertx, ResearchProjects projects, Cohort cohort, Access access, WadoRs wado, PublicUrl address,
      ResearchExport export, ResearchJudgements judgements) {
    this.vertx = vertx;
    this.judgements = judgements;
    this.projects = projects;
    this.cohort = cohort;
    this.access = access;
    this.wado = wado;
    this.address = address;
    this.export = export;
  }

  /** Mounted at {@code /research}. */
  public Routes routes() {
    Routes r = new Routes(vertx).filter(access.authenticate())
        .problem(IllegalArgumentException.class, e -> Problem.of(400, "bad-request", "Bad research request", e.getMessage()))
        .problem(ResearchProjects.NameTakenException.class, e -> Problem.of(409, "conflict", "Project name taken", e.getMessage()));
    BodyHandler json = BodyHandler.create(false).setBodyLimit(64 * 1024);
    r.get("/opt-outs").handler(this::optOuts);
    r.post("/opt-outs").handler(json).handler(this::optOut);
    r.delete("/opt-outs/:id").handler(this::removeOptOut);
    r.get("").handler(this::list);
    r.post("").handler(json).handler(this::create);
    r.get("/:project").handler(this::show);
    r.post("/:project/researchers").handler(json).handler(this::addResearcher);
    r.post("/:project/sites").handler(json).handler(this::invite);
    for (SiteState s : List.of(SiteState.CONSENTED, SiteState.DECLINED, SiteState.WITHDRAWN)) {
      String verb = switch (s) {
        case CONSENTED -> "consent";
        case DECLINED -> "decline";
        default -> "withdraw";
      };
      r.post("/:project/" + verb).handler(ctx -> decide(ctx, s));
    }
    r.get("/:project/labels").handler(this::labels);
    r.post("/:project/labels").handler(BodyHandler.create(false).setBodyLimit(16 << 20)).handler(this::putLabels);
    r.post("/:project/labels/from-reports").handler(json).handler(this::labelsFromReports);
    r.get("/:project/export").handler(ctx -> export.send(ctx, this, "true".equals(ctx.queryParams().get("nifti"))));
    r.get("/:project/dicomweb/studies").handler(this::searchStudies);
    r.get(STUDY + "/series").handler(this::searchSeries);
    r.get(STUDY + "/instances").handler(this::searchInstances);
    r.get(SERIES + "/instances").handler(this::searchInstances);
    for (String level : List.of(STUDY, SERIES, INSTANCE)) {
      r.get(level + "/metadata").handler(this::metadata);
      r.get(level).handler(this::retrieve);
    }
    r.get(INSTANCE + "/frames/:frames").handler(this::frames);
    return r;
  }

  // ---- projects -------------------------------------------------------------------------------

  private void create(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    if (caller.role() != Caller.Role.RESEARCHER) {
      throw Problem.of(403, "forbidden", "Only researchers create projects", "needs role researcher").exception();
    }
    JsonObject body = Params.jsonBody(ctx, "{\"name\": \"lung-ct\", \"cohort\": {\"ModalitiesInStudy\": \"CT\"}, "
        + "\"options\": [...], \"tenants\": [...]}");
    String name = Optional.ofNullable(Params.string(body, "name")).orElse("");
    Map<String, String> keys = new LinkedHashMap<>();
    JsonObject c = Params.object(body, "cohort");
    for (String k : c.fieldNames()) {
      if (!(c.getValue(k) instanceof String) && !(c.getValue(k) instanceof Number)) {
        throw Problem.of(400, "bad-request", "A cohort key's value is text", k + ": a QIDO-RS matching value").exception();
      }
      keys.put(k, String.valueOf(c.getValue(k)));
    }
    Cohort.query(keys); // refuses keys the index cannot match, before anything is stored
    JsonArray optionNames = Params.array(body, "options");
    Set<Option> options = optionNames != null ? options(optionNames) : DEFAULT_OPTIONS;
    new Deidentifier(new byte[32], options); // refuses options that exclude each other or are not offered
    List<String> tenants = new ArrayList<>();
    JsonArray invited = Params.array(body, "tenants");
    for (Object t : invited == null ? new JsonArray().add(caller.tenantId()) : invited) {
      if (!(t instanceof String tenant) || tenant.isBlank() || tenant.length() > 64) {
        throw Problem.of(400, "bad-request", "tenants lists hospitals' ids", "not a tenant id: " + t).exception();
      }
      tenants.add(tenant);
    }
    Map<String, List<PixelCleaner.Rect>> cleanPixels = cleanPixels(Params.object(body, "cleanPixelData"));
    String title = Optional.ofNullable(Params.string(body, "title")).orElse(name);
    if (title.length() > 256) throw Problem.of(400, "bad-request", "Title too long", "256 characters at most").exception();
    Blocking.respond(ctx, () -> {
      ResearchProject p = projects.create(name, title, caller.tenantId(), caller.principal(), keys, options, cleanPixels,
          tenants);
      audit(caller, p, "create", ctx, List.of(new Access.Item(null, null, null)));
      return p;
    }, p -> ctx.response().setStatusCode(201).putHeader("Location", ctx.request().path() + "/" + p.name())
        .putHeader("Content-Type", "application/json").end(json(p, caller).encodePrettily()));
  }

  private void list(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      JsonArray out = new JsonArray();
      for (ResearchProject p : projects.all()) if (visible(caller, p)) out.add(json(p, caller));
      return out;
    }, a -> ctx.response().putHeader("Content-Type", "application/json").end(a.encodePrettily()));
  }

  private void show(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      ResearchProject p = project(ctx, pr -> visible(caller, pr));
      JsonObject j = json(p, caller);
      if (p.hasResearcher(caller.principal())) j.put("studies", cohort.members(p).size());
      return j;
    }, j -> ctx.response().putHeader("Content-Type", "application/json").end(j.encodePrettily()));
  }

  private void addResearcher(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body = Params.jsonBody(ctx, "{\"subject\": \"someone@hospital\", \"issuer\": optional}");
    String subject = Optional.ofNullable(Params.string(body, "subject")).orElse("");
    if (subject.isBlank() || subject.length() > 256) throw Problem.of(400, "bad-request", "subject is required", "the researcher's subject").exception();
    String principal = access.principal(Params.string(body, "issuer"), subject);
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      boolean added = projects.addResearcher(p.id(), principal, caller.principal());
      audit(caller, p, "add-researcher", ctx, List.of(new Access.Item(null, null, null)));
      return added;
    }, added -> ctx.response().setStatusCode(added ? 201 : 200).end());
  }

  private void invite(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String tenant = Optional.ofNullable(Params.string(Params.jsonBody(ctx, "{\"tenant\": \"hospital-id\"}"), "tenant")).orElse("");
    if (tenant.isBlank() || tenant.length() > 64) throw Problem.of(400, "bad-request", "tenant is required", "the hospital to invite").exception();
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      boolean invited = projects.invite(p.id(), tenant, caller.principal());
      audit(caller, p, "invite", ctx, List.of(new Access.Item(null, null, null)));
      return invited;
    }, invited -> ctx.response().setStatusCode(invited ? 201 : 200).end());
  }

  /** An invited hospital's admin consents, declines or withdraws, for their own hospital. */
  private void decide(RoutingContext ctx, SiteState decision) {
    Caller caller = Access.caller(ctx);
    if (caller.role() != Caller.Role.ADMIN) {
      throw Problem.of(403, "forbidden", "Only a hospital's admin decides", "needs role admin of the invited hospital").exception();
    }
    Blocking.respond(ctx, () -> {
      ResearchProject p = project(ctx, pr -> pr.site(caller.tenantId()).isPresent());
      projects.decide(p.id(), caller.tenantId(), decision, caller.principal());
      audit(caller, p, decision.id(), ctx, List.of(new Access.Item(null, null, null)));
      return json(projects.byName(p.name()).orElseThrow(), caller);
    }, j -> ctx.response().putHeader("Content-Type", "application/json").end(j.encodePrettily()));
  }

  /** The CSV {@code POST /research/{p}/labels} takes, and {@code GET} gives back. */
  static final String LABEL_HEADER = "study,instance,finding,present,x0,y0,x1,y1";

  /**
   * {@code POST /research/{p}/labels} (text/csv, {@link #LABEL_HEADER}): ground truth by the
   * project's UIDs, a study's ({@code instance} empty) or an image's; a detection label is one
   * lesion with its box. Every line is checked against the view first: one bad line and nothing is
   * stored (422, each error with its line). Labels replace the uploaded labels of the studies named.
   */
  private void putLabels(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String csv = ctx.body().asString(StandardCharsets.UTF_8.name());
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      Map<String, Cohort.Member> members = new LinkedHashMap<>();
      for (Cohort.Member m : cohort.members(p)) members.put(m.pseudoStudyUid(), m);
      Map<String, Set<String>> sops = new java.util.HashMap<>();
      List<Label> labels = new ArrayList<>();
      JsonArray errors = new JsonArray();
      String[] lines = csv == null ? new String[0] : csv.split("\r?\n");
      if (lines.length == 0 || !lines[0].trim().toLowerCase(Locale.ROOT).startsWith("study,instance,finding,present")) {
        throw Problem.of(400, "bad-request", "CSV header expected", LABEL_HEADER + " (x0..y1 only for detection)").exception();
      }
      for (int n = 1; n < lines.length; n++) {
        String line = lines[n].trim();
        if (line.isEmpty()) continue;
        String[] f = line.split(",", -1);
        String at = "line " + (n + 1);
        if (f.length != 4 && f.length != 8) {
          errors.add(new JsonObject().put("path", at).put("message", "4 fields, or 8 with a box; found " + f.length));
          continue;
        }
        Cohort.Member m = members.get(f[0].trim());
        if (m == null) {
          errors.add(new JsonObject().put("path", at).put("message", "no study " + f[0].trim() + " in this project's view"));
          continue;
        }
        String sop = f[1].trim();
        if (!sop.isEmpty()) {
          Set<String> known = sops.get(m.pseudoStudyUid());
          if (known == null) {
            known = new java.util.HashSet<>();
            for (Cohort.Instance i : cohort.instances(p, m, null, null)) known.add(i.pseudoSopUid());
            sops.put(m.pseudoStudyUid(), known);
          }
          if (!known.contains(sop)) {
            errors.add(new JsonObject().put("path", at).put("message", "no instance " + sop + " in study " + m.pseudoStudyUid()));
            continue;
          }
        }
        String finding = f[2].trim();
        if (finding.length() > 64) {
          errors.add(new JsonObject().put("path", at).put("message", "a finding's name has 64 characters at most"));
          continue;
        }
        Boolean present = switch (f[3].trim().toLowerCase(Locale.ROOT)) {
          case "1", "true", "yes", "y" -> true;
          case "0", "false", "no", "n" -> false;
          default -> null;
        };
        if (finding.isEmpty() || present == null) {
          errors.add(new JsonObject().put("path", at).put("message", "finding is required and present is 1 or 0"));
          continue;
        }
        double[] box = null;
        if (f.length == 8) {
          try {
            box = new double[] {Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7])};
          } catch (NumberFormatException e) {
            errors.add(new JsonObject().put("path", at).put("message", "a box is four numbers x0,y0,x1,y1"));
            continue;
          }
          if (sop.isEmpty() || !present || !java.util.Arrays.stream(box).allMatch(Double::isFinite) || box[2] <= box[0]
              || box[3] <= box[1]) {
            errors.add(new JsonObject().put("path", at).put("message", "a box is a present lesion on one image, x1 > x0 and y1 > y0"));
            continue;
          }
        }
        labels.add(new Label(m.pseudoStudyUid(), sop, finding, present, box, "csv"));
      }
      if (!errors.isEmpty()) {
        throw Problem.of(422, "invalid-labels", "Labels refused", errors.size() + " line(s) in error; nothing stored")
            .with("errors", errors).exception();
      }
      int stored = judgements.putLabels(p, labels, "csv", caller.principal());
      audit(caller, p, "labels", ctx, List.of(new Access.Item(null, null, null)));
      return new JsonObject().put("stored", stored);
    }, j -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(j.encode()));
  }

  /** SOP classes of structured reports (PS3.4 B.5: ...88.*). */
  private static final String SR_CLASSES = "1.2.840.10008.5.1.4.1.1.88.";

  /**
   * {@code POST /research/{p}/labels/from-reports {"finding": "lesion", "code": "52988006"}}:
   * study-level labels taken from the radiologists' structured reports in the cohort. A study with
   * a report (an SR that Imago's models did not write) is labelled present where a coded item of
   * the report names the finding (its concept or its value: the code, or the finding's name as the
   * code's meaning) and absent where none does; a study without a report gets no label. They
   * replace the labels earlier reports gave those studies; uploaded ones stay.
   */
  private void labelsFromReports(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject body = Params.jsonBody(ctx, "{\"finding\": \"lesion\", \"code\": \"52988006\" (optional)}");
    String finding = Optional.ofNullable(Params.string(body, "finding")).orElse("").trim();
    String code = Optional.ofNullable(Params.string(body, "code")).orElse("").trim();
    if (finding.isEmpty() || finding.length() > 64) {
      throw Problem.of(400, "bad-request", "finding is required", "the label's finding, as the model names it").exception();
    }
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      List<Label> labels = new ArrayList<>();
      List<Access.Item> read = new ArrayList<>();
      for (Cohort.Member m : cohort.members(p)) {
        Boolean present = null;
        for (Cohort.Instance i : cohort.instances(p, m, null, null)) {
          if (!i.stored().sopClassUid().startsWith(SR_CLASSES) || i.stored().source() == imago.storage.index.Source.INFERENCE
              || Attribute.getSingleStringValueOrEmptyString(i.header(), TagFromName.Manufacturer).startsWith("Imago")) {
            continue; // not a report, or one of Imago's own AI results
          }
          AttributeList report = cohort.deidentified(p, i);
          present = Boolean.TRUE.equals(present) || names(report, finding, code);
          read.add(new Access.Item(i.stored().studyUid(), i.stored().seriesUid(), i.stored().sopInstanceUid(), m.tenantId()));
        }
        if (present != null) labels.add(new Label(m.pseudoStudyUid(), "", finding, present, null, "sr"));
      }
      int stored = judgements.putLabels(p, labels, "sr", caller.principal());
      if (!read.isEmpty()) audit(caller, p, "labels-from-reports", ctx, read);
      return new JsonObject().put("stored", stored).put("present", labels.stream().filter(Label::present).count());
    }, j -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(j.encode()));
  }

  /**
   * Whether a coded item of the report's content tree has the finding as its value (TID 1500's
   * Finding, or any CODE item): by code value, or by the finding's name as the code's meaning.
   */
  private static boolean names(AttributeList item, String finding, String code) {
    if (item.get(TagFromName.ConceptCodeSequence) instanceof com.pixelmed.dicom.SequenceAttribute s && s.getNumberOfItems() > 0) {
      AttributeList c = s.getItem(0).getAttributeList();
      String value = Attribute.getSingleStringValueOrEmptyString(c, TagFromName.CodeValue).trim();
      String meaning = Attribute.getSingleStringValueOrEmptyString(c, TagFromName.CodeMeaning).trim();
      if (!code.isEmpty() && value.equals(code) || meaning.equalsIgnoreCase(finding)) return true;
    }
    if (item.get(TagFromName.ContentSequence) instanceof com.pixelmed.dicom.SequenceAttribute content) {
      for (int k = 0; k < content.getNumberOfItems(); k++) {
        if (names(content.getItem(k).getAttributeList(), finding, code)) return true;
      }
    }
    return false;
  }

  /** The labels of the studies in the view now (a withdrawn hospital's or an opted-out patient's are not given back). */
  private void labels(RoutingContext ctx) {
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      Set<String> inView = new java.util.HashSet<>();
      for (Cohort.Member m : cohort.members(p)) inView.add(m.pseudoStudyUid());
      StringBuilder csv = new StringBuilder(LABEL_HEADER).append('\n');
      for (Label l : judgements.labels(p)) {
        if (!inView.contains(l.studyUid())) continue;
        csv.append(l.studyUid()).append(',').append(l.sopUid()).append(',').append(l.finding()).append(',')
            .append(l.present() ? 1 : 0);
        if (l.box() != null) for (double v : l.box()) csv.append(',').append(v);
        csv.append('\n');
      }
      return csv.toString();
    }, csv -> ctx.response().putHeader("Content-Type", "text/csv; charset=utf-8").end(csv));
  }

  private void optOuts(RoutingContext ctx) {
    Caller caller = admin(ctx);
    Blocking.respond(ctx, () -> {
      JsonArray out = new JsonArray();
      for (OptOut o : projects.optOuts(caller.tenantId())) out.add(json(o));
      return out;
    }, a -> ctx.response().putHeader("Content-Type", "application/json").end(a.encodePrettily()));
  }

  private void optOut(RoutingContext ctx) {
    Caller caller = admin(ctx);
    JsonObject body = Params.jsonBody(ctx, "{\"patientId\": \"...\", \"project\": optional, every project without it}");
    String patient = Optional.ofNullable(Params.string(body, "patientId")).orElse("").trim();
    if (patient.isEmpty() || patient.length() > 64) throw Problem.of(400, "bad-request", "patientId is required", "the hospital's Patient ID").exception();
    String name = Params.string(body, "project");
    Blocking.respond(ctx, () -> {
      ResearchProject p = name == null ? null : projects.byName(name)
          .orElseThrow(() -> Params.notFound("research project", name));
      OptOut o = projects.optOut(caller.tenantId(), patient, p, caller.principal());
      access.record(caller, "research:" + (name == null ? "*" : name) + ":opt-out", Access.Via.RESEARCH, Access.remote(ctx),
          List.of(new Access.Item(null, null, null)));
      return json(o);
    }, j -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(j.encodePrettily()));
  }

  private void removeOptOut(RoutingContext ctx) {
    Caller caller = admin(ctx);
    long id = Params.id(ctx, "id", "opt-out");
    String remote = Access.remote(ctx);
    Blocking.respond(ctx, () -> {
      if (!projects.removeOptOut(caller.tenantId(), id)) throw Params.notFound("opt-out", String.valueOf(id));
      // the patient is back in the projects: that is recorded as much as the objection was
      access.record(caller, "research:opt-out-removed:" + id, Access.Via.RESEARCH, remote, List.of(new Access.Item(null, null, null)));
      return null;
    }, x -> ctx.response().setStatusCode(204).end());
  }

  private static Caller admin(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    if (caller.role() != Caller.Role.ADMIN) {
      throw Problem.of(403, "forbidden", "Only a hospital's admin keeps opt-outs", "needs role admin").exception();
    }
    return caller;
  }

  /** Who may see a project's description: its researchers, admins of invited hospitals, the region. */
  private static boolean visible(Caller caller, ResearchProject p) {
    return p.hasResearcher(caller.principal()) || caller.role() == Caller.Role.REGION
        || caller.role() == Caller.Role.ADMIN && p.site(caller.tenantId()).isPresent();
  }

  /** The project of the path if {@code allowed}; 404 otherwise, as for a project that does not exist. */
  private ResearchProject project(RoutingContext ctx, Predicate<ResearchProject> allowed) throws SqlUnavailableException {
    String name = ctx.pathParam("project");
    Optional<ResearchProject> p = projects.byName(name);
    if (p.isEmpty() || !allowed.test(p.get())) throw Params.notFound("research project", name);
    return p.get();
  }

  /** The project of the path, for one of its researchers (blocking). */
  ResearchProject researcherProject(RoutingContext ctx) throws SqlUnavailableException {
    Caller caller = Access.caller(ctx);
    return project(ctx, p -> p.hasResearcher(caller.principal()));
  }

  void audit(Caller caller, ResearchProject p, String verb, RoutingContext ctx, List<Access.Item> items)
      throws SqlUnavailableException {
    audit(caller, p, verb, Access.remote(ctx), items);
  }

  void audit(Caller caller, ResearchProject p, String verb, String remote, List<Access.Item> items) throws SqlUnavailableException {
    access.record(caller, "research:" + p.name() + ":" + verb, Access.Via.RESEARCH, remote, items);
  }

  // ---- the de-identified view: QIDO-RS ---------------------------------------------------------

  private void searchStudies(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    int limit = number(ctx, "limit", 1000, 1);
    int offset = number(ctx, "offset", 0, 0);
    String wanted = ctx.queryParams().get("StudyInstanceUID");
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      List<DicomJsonWriter> out = new ArrayList<>();
      List<Access.Item> answered = new ArrayList<>();
      int skipped = 0;
      for (Cohort.Member m : cohort.members(p)) {
        if (wanted != null && !List.of(wanted.split("[,\\\\]")).contains(m.pseudoStudyUid())) continue;
        AttributeList a = cohort.studyAttributes(p, m);
        if (!matches(ctx, a)) continue;
        if (skipped < offset) {
          skipped++;
          continue;
        }
        if (out.size() >= limit) break;
        DicomJsonWriter w = only(a, STUDY_TAGS);
        w.url(0x00081190, root(ctx, p) + "/studies/" + m.pseudoStudyUid());
        out.add(w);
        answered.add(new Access.Item(m.studyUid(), null, null, m.tenantId()));
      }
      if (!answered.isEmpty()) audit(caller, p, "search", ctx, answered);
      return DicomJson.arrayBytes(out);
    }, bytes -> jsonAnswer(ctx, bytes));
  }

  private void searchSeries(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      Cohort.Member m = member(ctx, p);
      Map<String, List<Cohort.Instance>> bySeries = new LinkedHashMap<>();
      for (Cohort.Instance i : cohort.instances(p, m, null, null)) {
        bySeries.computeIfAbsent(i.pseudoSeriesUid(), k -> new ArrayList<>()).add(i);
      }
      List<DicomJsonWriter> out = new ArrayList<>();
      for (List<Cohort.Instance> series : bySeries.values()) {
        AttributeList h = series.get(0).header();
        if (!matches(ctx, h)) continue;
        DicomJsonWriter w = only(h, SERIES_TAGS);
        w.integers(0x00201209, "IS", series.size()); // Number of Series Related Instances
        w.url(0x00081190, root(ctx, p) + "/studies/" + m.pseudoStudyUid() + "/series/" + series.get(0).pseudoSeriesUid());
        out.add(w);
      }
      audit(caller, p, "search", ctx, List.of(new Access.Item(m.studyUid(), null, null, m.tenantId())));
      return DicomJson.arrayBytes(out);
    }, bytes -> jsonAnswer(ctx, bytes));
  }

  private void searchInstances(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      Cohort.Member m = member(ctx, p);
      List<DicomJsonWriter> out = new ArrayList<>();
      for (Cohort.Instance i : cohort.instances(p, m, ctx.pathParam("series"), null)) {
        if (!matches(ctx, i.header())) continue;
        List<AttributeTag> tags = new ArrayList<>(SERIES_TAGS);
        tags.addAll(INSTANCE_TAGS);
        DicomJsonWriter w = only(i.header(), tags);
        w.url(0x00081190, instanceUrl(ctx, p, i));
        out.add(w);
      }
      audit(caller, p, "search", ctx, List.of(new Access.Item(m.studyUid(), null, null, m.tenantId())));
      return DicomJson.arrayBytes(out);
    }, bytes -> jsonAnswer(ctx, bytes));
  }

  /** Matching keys of a research search: exact values (or {@code *} and {@code ?} wildcards) of the de-identified attributes. */
  private static boolean matches(RoutingContext ctx, AttributeList a) {
    for (Map.Entry<String, String> q : ctx.queryParams().entries()) {
      String key = q.getKey();
      if (Set.of("limit", "offset", "includefield", "fuzzymatching", "StudyInstanceUID").contains(key)) continue;
      AttributeTag tag = key.matches("[0-9A-Fa-f]{8}")
          ? new AttributeTag(Integer.parseInt(key.substring(0, 4), 16), Integer.parseInt(key.substring(4), 16))
          : com.pixelmed.dicom.DicomDictionary.StandardDictionary.getTagFromName(key);
      if (tag == null) throw Problem.of(400, "bad-request", "Unknown matching key", key).exception();
      if (q.getValue() == null || q.getValue().isEmpty()) continue;
      // the value's * and ? are wildcards (PS3.4 C.2.2.2.4); everything else is literal text
      StringBuilder regex = new StringBuilder();
      for (String piece : q.getValue().split("(?<=[*?])|(?=[*?])")) {
        regex.append(piece.equals("*") ? ".*" : piece.equals("?") ? "." : java.util.regex.Pattern.quote(piece));
      }
      String pattern = regex.toString();
      String[] values;
      try {
        Attribute attr = a.get(tag);
        values = attr == null ? new String[0] : attr.getStringValues();
      } catch (DicomException e) {
        values = new String[0];
      }
      boolean any = false;
      for (String v : values == null ? new String[0] : values) any |= v.trim().matches(pattern);
      if (!any) return false;
    }
    return true;
  }

  // ---- the de-identified view: WADO-RS ---------------------------------------------------------

  private void metadata(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      Cohort.Member m = member(ctx, p);
      List<Cohort.Instance> instances = cohort.instances(p, m, ctx.pathParam("series"), ctx.pathParam("instance"));
      if (instances.isEmpty()) throw notFound();
      List<DicomJsonWriter> out = new ArrayList<>();
      for (Cohort.Instance i : instances) out.add(AttributeListJson.toJson(withoutBulkData(i.header())));
      audit(caller, p, "metadata", ctx, items(instances));
      return DicomJson.arrayBytes(out);
    }, bytes -> jsonAnswer(ctx, bytes));
  }

  /**
   * The header less its top-level binary values too large to be inline: the view offers no bulk
   * data resource, so its metadata names none (frames are what viewers ask for).
   */
  private static AttributeList withoutBulkData(AttributeList header) {
    AttributeList out = new AttributeList();
    for (Object o : header.values()) {
      Attribute a = (Attribute) o;
      String vr = a.getVRAsString();
      boolean binary = vr.startsWith("O") || vr.equals("UN");
      if (!binary || (a.getVL() & 0xFFFFFFFFL) <= AttributeListJson.INLINE_BINARY_LIMIT) out.put(a);
    }
    return out;
  }

  /** The de-identified instances as multipart/related; type="application/dicom" (PS3.18 §8.7.3.1). */
  private void retrieve(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    String boundary = "imago-" + UUID.randomUUID();
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      Cohort.Member m = member(ctx, p);
      List<Cohort.Instance> instances = cohort.instances(p, m, ctx.pathParam("series"), ctx.pathParam("instance"));
      if (instances.isEmpty()) throw notFound();
      long total = 0;
      for (Cohort.Instance i : instances) total += i.stored().objectSize();
      if (total > MAX_RETRIEVE_BYTES) {
        throw Problem.of(413, "too-large", "Ask series by series", "the study holds " + (total >> 20)
            + " MiB; retrieve its series one at a time, or use the export").exception();
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.min(total + 4096, Integer.MAX_VALUE - 16));
      for (Cohort.Instance i : instances) {
        body.write(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        ResearchExport.writePart10(cohort.deidentified(p, i), i.stored().transferSyntaxUid(), body);
        body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
      audit(caller, p, "retrieve", ctx, items(instances));
      return body.toByteArray();
    }, bytes -> ctx.response().putHeader("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
        .putHeader("Cache-Control", "no-store").end(Buffer.buffer(bytes)));
  }

  /**
   * Frames are the stored pixels: de-identification leaves them as they are. An instance cleaned by
   * a Clean Pixel Data rule is the exception: its frames are cut from the cleaned copy.
   */
  private void frames(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    Blocking.respond(ctx, () -> {
      ResearchProject p = researcherProject(ctx);
      List<Cohort.Instance> l = cohort.instances(p, member(ctx, p), ctx.pathParam("series"), ctx.pathParam("instance"));
      if (l.isEmpty()) throw notFound();
      return new Found(p, l.get(0));
    }, found -> {
      if (found.instance().cleaned()) {
        cleanedFrames(ctx, found.project(), found.instance());
      } else {
        // the ETag is keyed with the project's key: it must not tie the pseudonymous instance to its real one
        wado.frames(ctx, () -> found.instance().stored(),
            i -> audit(caller, found.project(), "frames", ctx, items(List.of(found.instance()))),
            cohort.deidentifier(found.project()).uid("frames-etag"));
      }
    });
  }

  /** The instance a request names, in the project it was found in. */
  private record Found(ResearchProject project, Cohort.Instance instance) {}

  /** The frames of a cleaned instance, native, as multipart/related; type="application/octet-stream" (PS3.18 §8.7.3.3). */
  private void cleanedFrames(RoutingContext ctx, ResearchProject p, Cohort.Instance i) {
    Caller caller = Access.caller(ctx);
    String boundary = "imago-" + UUID.randomUUID();
    Blocking.respond(ctx, () -> {
      AttributeList d = cohort.deidentified(p, i);
      int rows = Attribute.getSingleIntegerValueOrDefault(d, TagFromName.Rows, 0);
      int columns = Attribute.getSingleIntegerValueOrDefault(d, TagFromName.Columns, 0);
      int samples = Attribute.getSingleIntegerValueOrDefault(d, TagFromName.SamplesPerPixel, 1);
      int bytes = Attribute.getSingleIntegerValueOrDefault(d, TagFromName.BitsAllocated, 16) / 8;
      int frames = Math.max(1, Attribute.getSingleIntegerValueOrDefault(d, TagFromName.NumberOfFrames, 1));
      byte[] all;
      Attribute pixels = d.get(TagFromName.PixelData);
      if (bytes == 2) {
        short[] w = pixels.getShortValues();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(w.length * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(w);
        all = b.array();
      } else {
        all = pixels.getByteValues();
      }
      int frameBytes = rows * columns * samples * bytes;
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      for (int k : WadoRs.frameNumbers(ctx.pathParam("frames"))) {
        if (k > frames) throw Problem.of(404, "not-found", "No such frame", k + " of " + frames).exception();
        body.write(("--" + boundary + "\r\nContent-Type: application/octet-stream; transfer-syntax=" + Uids.EXPLICIT_VR_LITTLE_ENDIAN
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.write(all, (k - 1) * frameBytes, frameBytes);
        body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
      audit(caller, p, "frames", ctx, items(List.of(i)));
      return body.toByteArray();
    }, bytes -> ctx.response().putHeader("Content-Type", "multipart/related; type=\"application/octet-stream\"; boundary="
        + boundary).putHeader("Cache-Control", "no-store").end(Buffer.buffer(bytes)));
  }

  private Cohort.Member member(RoutingContext ctx, ResearchProject p) throws SqlUnavailableException {
    String study = ctx.pathParam("study");
    if (!Uids.isValid(study)) throw Problem.of(400, "bad-request", "Malformed UID", study).exception();
    return cohort.member(p, study).orElseThrow(ResearchRouter::notFound);
  }

  private static ProblemException notFound() {
    return Problem.of(404, "not-found", "Not found", "nothing of that UID in this project's view").exception();
  }

  private static List<Access.Item> items(List<Cohort.Instance> instances) {
    List<Access.Item> items = new ArrayList<>();
    for (Cohort.Instance i : instances) {
      items.add(new Access.Item(i.stored().studyUid(), i.stored().seriesUid(), i.stored().sopInstanceUid(), i.member().tenantId()));
    }
    return items;
  }

  private String root(RoutingContext ctx, ResearchProject p) {
    String mount = ctx.mountPoint() == null ? "/research" : ctx.mountPoint().replaceAll("/+$", "");
    return address.of(ctx.request()) + mount + "/" + p.name() + "/dicomweb";
  }

  private String instanceUrl(RoutingContext ctx, ResearchProject p, Cohort.Instance i) {
    return root(ctx, p) + "/studies/" + i.member().pseudoStudyUid() + "/series/" + i.pseudoSeriesUid() + "/instances/"
        + i.pseudoSopUid();
  }

  private static DicomJsonWriter only(AttributeList a, List<AttributeTag> tags) {
    AttributeList picked = new AttributeList();
    for (AttributeTag t : tags) if (a.get(t) != null) picked.put(a.get(t));
    return AttributeListJson.toJson(picked);
  }

  private static void jsonAnswer(RoutingContext ctx, byte[] bytes) {
    ctx.response().putHeader("Content-Type", DicomJson.MEDIA_TYPE).putHeader("Cache-Control", "no-store").end(Buffer.buffer(bytes));
  }

  private static int number(RoutingContext ctx, String name, int absent, int min) {
    String v = ctx.queryParams().get(name);
    if (v == null) return absent;
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min) return n;
    } catch (NumberFormatException e) {
      // below
    }
    throw Problem.of(400, "bad-request", name + " must be a whole number of at least " + min, v).exception();
  }

  /** {"US": [[x0, y0, x1, y1], ...], ...}: per modality, the rectangles of burned-in text a Clean Pixel Data rule blacks out. */
  static Map<String, List<PixelCleaner.Rect>> cleanPixels(JsonObject rules) {
    Map<String, List<PixelCleaner.Rect>> out = new LinkedHashMap<>();
    for (String modality : rules.fieldNames()) {
      String usage = "cleanPixelData is {\"US\": [[x0, y0, x1, y1], ...]}: per modality, rectangles in pixels";
      if (!modality.matches("[A-Z]{1,16}") || !(rules.getValue(modality) instanceof JsonArray rects) || rects.isEmpty()) {
        throw Problem.of(400, "bad-request", "Bad Clean Pixel Data rule", usage).exception();
      }
      List<PixelCleaner.Rect> list = new ArrayList<>();
      for (Object r : rects) {
        if (!(r instanceof JsonArray a) || a.size() != 4 || !a.stream().allMatch(v -> v instanceof Integer)) {
          throw Problem.of(400, "bad-request", "Bad Clean Pixel Data rule", usage).exception();
        }
        list.add(new PixelCleaner.Rect(a.getInteger(0), a.getInteger(1), a.getInteger(2), a.getInteger(3)));
      }
      out.put(modality, List.copyOf(list));
    }
    return out;
  }

  // ---- JSON ---------------------------------------------------------------------------------------

  static Set<Option> options(JsonArray names) {
    Set<Option> out = EnumSet.noneOf(Option.class);
    for (Object o : names) out.add(option(String.valueOf(o)));
    return out;
  }

  /** An option by its name in any case, with - or _ ({@code retain-longitudinal-modified-dates}), or its code ({@code 113107}). */
  public static Option option(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (Option o : Option.values()) {
      if (o.name().equals(t) || o.code().equals(t)) return o;
    }
    throw new IllegalArgumentException("no de-identification option '" + text + "'; options: "
        + String.join(", ", java.util.Arrays.stream(Option.values()).map(o -> o.name().toLowerCase(Locale.ROOT).replace('_', '-'))
        .toList()));
  }

  /** A project as its API shows it; {@code researcher}: whether the caller is one of its researchers. */
  static JsonObject json(ResearchProject p, Caller caller) {
    JsonObject cohortJson = new JsonObject();
    p.cohort().forEach(cohortJson::put);
    JsonArray options = new JsonArray();
    for (Option o : p.options()) {
      options.add(new JsonObject().put("option", o.name().toLowerCase(Locale.ROOT).replace('_', '-')).put("code", o.code())
          .put("meaning", o.meaning()));
    }
    JsonArray sites = new JsonArray();
    for (ResearchProject.Site s : p.sites()) {
      JsonObject j = new JsonObject().put("tenant", s.tenantId()).put("state", s.state().id()).put("invitedBy", s.invitedBy())
          .put("invitedAt", s.invitedAt().toString());
      if (s.decidedAt() != null) j.put("decidedBy", s.decidedBy()).put("decidedAt", s.decidedAt().toString());
      sites.add(j);
    }
    return new JsonObject().put("name", p.name()).put("title", p.title()).put("ownerTenant", p.ownerTenant())
        .put("createdBy", p.createdBy()).put("createdAt", p.createdAt().toString()).put("cohort", cohortJson)
        .put("options", options).put("cleanPixelData", cleanPixelsJson(p)).put("sites", sites).put("researchers", new JsonArray(new ArrayList<>(new LinkedHashSet<>(
            p.researchers())))).put("researcher", p.hasResearcher(caller.principal()))
        .put("dicomweb", "/research/" + p.name() + "/dicomweb");
  }

  private static JsonObject cleanPixelsJson(ResearchProject p) {
    JsonObject rules = new JsonObject();
    p.cleanPixels().forEach((modality, rects) -> {
      JsonArray a = new JsonArray();
      for (PixelCleaner.Rect r : rects) a.add(new JsonArray().add(r.x0()).add(r.y0()).add(r.x1()).add(r.y1()));
      rules.put(modality, a);
    });
    return rules;
  }

  private static JsonObject json(OptOut o) {
    return new JsonObject().put("id", o.id()).put("patientId", o.patientId()).put("project", o.project())
        .put("recordedBy", o.recordedBy()).put("recordedAt", o.recordedAt().toString());
  }
}
