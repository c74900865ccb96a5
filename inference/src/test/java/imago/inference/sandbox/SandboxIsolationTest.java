package imago.inference.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import imago.inference.engine.EngineConfig;
import imago.inference.engine.TestEngines;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile model finds inside its sandbox, probed from inside with the sandbox's own command
 * line: no network (not even the server's loopback ports), none of the server's files (a secret in
 * a private folder like {@code data/secrets}), none of its environment, another user, no capabilities,
 * and a PID namespace of its own (whatever it starts dies with it).
 */
class SandboxIsolationTest {
  @TempDir Path tmp;

  @Test
  void aSandboxReachesNoNetworkNoSecretNoEnvironmentAndHoldsNoPrivilege() throws Exception {
    assumeTrue("0".equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid").toString()),
        "the server runs as root in the suite; as another user sandboxes keep that user");
    Path data = Files.createDirectories(tmp.resolve("data"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    Path secret = Files.writeString(Files.createDirectories(data.resolve("secrets")).resolve("jwt-hs256.key"), "k",
        StandardCharsets.UTF_8);
    SandboxRuntime runtime = SandboxRuntime.prepare(SandboxConfig.defaults(), new EngineConfig(1,
        TestEngines.repoRoot().resolve(".cache").resolve("engines"), false));
    Path work = runtime.newWorkDir();
    runtime.handOver(null, work);
    try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      ProcessBuilder pb = new ProcessBuilder(runtime.command(work, SandboxProbe.class.getName(),
          Integer.toString(server.getLocalPort()), secret.toString())).redirectErrorStream(true);
      pb.environment().clear();
      pb.environment().putAll(runtime.environment(work, null));
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertTrue(out.contains("network=refused"), out);
      assertTrue(out.contains("secret=denied"), out);
      String env = out.lines().filter(l -> l.startsWith("env=")).findFirst().orElseThrow();
      for (String name : List.of("IMAGO", "JAVA_HOME", "PGPASSWORD", "AWS_", "MINIO")) assertFalse(env.contains(name), env);
      assertTrue(out.contains("Uid: 65534 65534"), "runs as nobody: " + out);
      assertTrue(out.contains("CapEff: 0000000000000000"), out);
      assertTrue(out.contains("NoNewPrivs: 1"), out);
      assertTrue(out.contains("pid=1\n"), "the first process of a PID namespace of its own, which dies with it: " + out);
      assertEquals(0, p.exitValue(), out);
    } finally {
      runtime.delete(work);
    }
  }
}
