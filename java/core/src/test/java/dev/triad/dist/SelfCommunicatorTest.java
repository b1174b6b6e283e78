package dev.triad.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The built-in one-rank host communicator ("self": triad_dist_init(NULL, ...), no MPI) that the
 * NCCL smoke run on the GPU machine starts NCCL over: NcclSmokeMain's collectives on CPU tensors
 * over "self" alone, in a JVM of its own (the communicator is once per process).
 */
class SelfCommunicatorTest {
  @Test
  void everyCollectiveOnOneRankWithoutMpi() throws Exception {
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), NcclSmokeMain.class.getName(), "none")).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("smoke: ok (self, 1048576 elements, f32 and bf16)"), out);
  }
}
