package imago.app;

import imago.core.config.Config;
import imago.core.tenant.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * {@code imago research ...}: research projects from a terminal, over {@code /research}. Without
 * {@code --token} it mints a short-lived token for the role each step needs: a researcher of
 * {@code --tenant} to create, list and export (the project's owning hospital when no tenant is
 * given), that hospital's admin to consent or record an opt-out.
 */
final class ResearchCommand {
  static final String USAGE = Usage.of("research");

  private ResearchCommand() {}

  static int run(Config config, List<String> args, Map<String, String> options, Map<String, List<String>> repeated,
      PrintStream out) throws Exception {
    if (args.isEmpty()) throw new IllegalArgumentException("research needs a subcommand\n" + USAGE);
    String sub = args.get(0);
    return switch (sub) {
      case "create" -> create(config, arg(args, 1), options, repeated, out);
      case "consent", "decline", "withdraw" -> {
        ApiClient api = ApiClient.of(config, options, Caller.Role.ADMIN, out);
        HttpResponse<String> r = api.send(api.request("/research/" + enc(arg(args, 1)) + "/" + sub)
            .POST(HttpRequest.BodyPublishers.noBody()).build());
        if (r.statusCode() != 200) yield api.problem(r);
        JsonObject p = new JsonObject(r.body());
        out.printf("%s: %s%n", p.getString("name"), sites(p));
        yield 0;
      }
      case "opt-out" -> {
        ApiClient api = ApiClient.of(config, options, Caller.Role.ADMIN, out);
        JsonObject body = new JsonObject().put("patientId", require(options, "patient"));
        if (options.containsKey("project")) body.put("project", options.get("project"));
        HttpResponse<String> r = api.send(api.request("/research/opt-outs").header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build());
        if (r.statusCode() != 201) yield api.problem(r);
        out.printf("patient %s is out of %s%n", body.getString("patientId"),
            options.containsKey("project") ? "project " + options.get("project") : "every research project");
        yield 0;
      }
      case "list" -> {
        ApiClient api = researcher(config, options, null, out);
        HttpResponse<String> r = api.send(api.request("/research").GET().build());
        if (r.statusCode() != 200) yield api.problem(r);
        JsonArray all = new JsonArray(r.body());
        if (all.isEmpty()) out.println("no research projects");
        for (Object o : all) {
          JsonObject p = (JsonObject) o;
          out.printf("%-24s %-40s %s%n", p.getString("name"), p.getString("title"), sites(p));
        }
        yield 0;
      }
      case "show" -> {
        String name = arg(args, 1);
        ApiClient api = researcher(config, options, name, out);
        HttpResponse<String> r = api.send(api.request("/research/" + enc(name)).GET().build());
        if (r.statusCode() != 200) yield api.problem(r);
        out.println(new JsonObject(r.body()).encodePrettily());
        yield 0;
      }
      case "export" -> export(config, arg(args, 1), options, out);
      case "labels" -> {
        String name = arg(args, 1);
        ApiClient api = researcher(config, options, name, out);
        if (options.containsKey("from-reports")) {
          JsonObject body = new JsonObject().put("finding", options.get("from-reports"));
          if (options.containsKey("code")) body.put("code", options.get("code"));
          HttpResponse<String> r = api.send(api.request("/research/" + enc(name) + "/labels/from-reports")
              .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build());
          if (r.statusCode() != 201) yield api.problem(r);
          JsonObject j = new JsonObject(r.body());
          out.printf("labelled %d reported studies of project %s (%s present in %d)%n", j.getInteger("stored"), name,
              body.getString("finding"), j.getInteger("present"));
          yield 0;
        }
        Path csv = Main.userPath(require(options, "csv"));
        HttpResponse<String> r = api.send(api.request("/research/" + enc(name) + "/labels").header("Content-Type", "text/csv")
            .POST(HttpRequest.BodyPublishers.ofFile(csv)).build());
        if (r.statusCode() != 201) yield api.problem(r);
        out.printf("stored %d labels in project %s%n", new JsonObject(r.body()).getInteger("stored"), name);
        yield 0;
      }
      default -> throw new IllegalArgumentException("unknown research subcommand '" + sub + "'\n" + USAGE);
    };
  }

  private static int create(Config config, String name, Map<String, String> options, Map<String, List<String>> repeated,
      PrintStream out) throws Exception {
    ApiClient api = ApiClient.of(config, options, Caller.Role.RESEARCHER, out);
    JsonObject cohort = new JsonObject();
    for (String kv : repeated.getOrDefault("cohort", List.of())) {
      int eq = kv.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--cohort takes KEY=VALUE (a QIDO study key), not '" + kv + "'");
      cohort.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    JsonObject body = new JsonObject().put("name", name).put("cohort", cohort);
    if (options.containsKey("title")) body.put("title", options.get("title"));
    if (repeated.containsKey("option")) body.put("options", new JsonArray(repeated.get("option")));
    JsonObject clean = new JsonObject();
    for (String rule : repeated.getOrDefault("clean-pixels", List.of())) { // US=0,0,640,60
      String[] parts = rule.split("=", 2);
      String[] v = parts.length == 2 ? parts[1].split(",") : new String[0];
      if (v.length != 4) throw new IllegalArgumentException("--clean-pixels takes MODALITY=x0,y0,x1,y1, not '" + rule + "'");
      JsonArray rect = new JsonArray();
      for (String n : v) rect.add(Integer.parseInt(n.trim()));
      JsonArray rects = clean.getJsonArray(parts[0].trim(), new JsonArray());
      clean.put(parts[0].trim(), rects.add(rect));
    }
    if (!clean.isEmpty()) body.put("cleanPixelData", clean);
    if (repeated.containsKey("hospital") || options.containsKey("tenant")) {
      JsonArray tenants = new JsonArray();
      if (options.containsKey("tenant")) tenants.add(options.get("tenant"));
      repeated.getOrDefault("hospital", List.of()).forEach(tenants::add);
      body.put("tenants", tenants);
    }
    HttpResponse<String> r = api.send(api.request("/research").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build());
    if (r.statusCode() != 201) return api.problem(r);
    JsonObject p = new JsonObject(r.body());
    out.printf("created research project %s: cohort %s, hospitals %s%n", p.getString("name"),
        p.getJsonObject("cohort").encode(), sites(p));
    for (Object o : p.getJsonArray("sites")) {
      JsonObject s = (JsonObject) o;
      if (s.getString("state").equals("invited")) {
        out.printf("  waiting for %s's admin: ./imago research consent %s --tenant %s%n", s.getString("tenant"),
            p.getString("name"), s.getString("tenant"));
      }
    }
    return 0;
  }

  /**
   * Downloads the export and unpacks it into DIR (entries only under DIR, never above it); the zip
   * is kept only while it is read.
   */
  private static int export(Config config, String name, Map<String, String> options, PrintStream out) throws Exception {
    Path dir = Main.userPath(require(options, "out"));
    ApiClient api = researcher(config, options, name, out);
    boolean nifti = options.containsKey("nifti");
    Files.createDirectories(dir);
    Path zip = Files.createTempFile(dir, "." + name + "-", ".zip.part");
    try {
      HttpResponse<Path> r = HttpClient.newHttpClient().send(api.request("/research/" + enc(name) + "/export"
          + (nifti ? "?nifti=true" : "")).header("Accept", "application/zip, application/problem+json").GET().build(),
          HttpResponse.BodyHandlers.ofFile(zip));
      if (r.statusCode() != 200) {
        return api.problem(r.statusCode(), Files.readString(zip));
      }
      int files = 0;
      long bytes = 0;
      Path root = dir.toAbsolutePath().normalize();
      try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip), StandardCharsets.UTF_8)) {
        for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
          Path target = root.resolve(e.getName()).normalize();
          if (!target.startsWith(root)) throw new IOException("export entry outside the folder: " + e.getName());
          if (e.isDirectory()) continue;
          Files.createDirectories(target.getParent());
          bytes += Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          files++;
        }
      }
      out.printf("exported project %s into %s: %d files, %s%n", name, dir, files, ModelsCommand.human(bytes));
      Path readme = dir.resolve("README.txt");
      if (Files.isRegularFile(readme)) out.println(Files.readString(readme).lines().skip(1).findFirst().orElse(""));
      return 0;
    } catch (java.net.ConnectException e) {
      throw new IOException("cannot reach Imago at " + api.base() + " (is `./imago serve` running? --url sets another)", e);
    } finally {
      Files.deleteIfExists(zip);
    }
  }

  /**
   * A researcher's client. With neither --token nor --tenant, the project's owning hospital's
   * command-line researcher (the one {@code research create} acted as), found by asking as the region.
   */
  private static ApiClient researcher(Config config, Map<String, String> options, String project, PrintStream out)
      throws IOException, InterruptedException {
    boolean token = options.containsKey("token") || System.getenv("IMAGO_TOKEN") != null;
    if (token || options.containsKey("tenant") || project == null) return ApiClient.of(config, options, Caller.Role.RESEARCHER, out);
    Map<String, String> asRegion = new HashMap<>(options);
    asRegion.put("tenant", Imago.tenants(config).all().get(0).id()); // the region's token names some tenant
    ApiClient region = ApiClient.of(config, asRegion, Caller.Role.REGION, out);
    HttpResponse<String> r = region.send(region.request("/research/" + enc(project)).GET().build());
    if (r.statusCode() != 200) return ApiClient.of(config, options, Caller.Role.RESEARCHER, out);
    Map<String, String> asOwner = new HashMap<>(options);
    asOwner.put("tenant", new JsonObject(r.body()).getString("ownerTenant"));
    return ApiClient.of(config, asOwner, Caller.Role.RESEARCHER, out);
  }

  private static String sites(JsonObject p) {
    StringBuilder s = new StringBuilder();
    for (Object o : p.getJsonArray("sites", new JsonArray())) {
      JsonObject site = (JsonObject) o;
      s.append(s.isEmpty() ? "" : ", ").append(site.getString("tenant")).append(" (").append(site.getString("state")).append(')');
    }
    return s.isEmpty() ? "none" : s.toString();
  }

  private static String arg(List<String> args, int i) {
    if (args.size() <= i) throw new IllegalArgumentException("missing project name\n" + USAGE);
    return args.get(i);
  }

  private static String require(Map<String, String> options, String key) {
    String v = options.get(key);
    if (v == null || v.isBlank()) throw new IllegalArgumentException("--" + key + " is required\n" + USAGE);
    return v;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
