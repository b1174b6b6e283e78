package dev.triad.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Starts a Java main class as N MPI ranks with {@code mpirun --oversubscribe} (more ranks than
 * cores on a 2-core machine), on the test's class path. Skips the test where no mpirun is on PATH,
 * unless TRIAD_REQUIRE_MPI is set (CI, which installs Open MPI): then it fails.
 */
public final class MpiRun {
  private MpiRun() {}

  /** What a job left: its exit status and its output (stdout and stderr of every rank, merged). */
  public record Result(int exitCode, String output) {}

  /** The mpirun on PATH, or a skipped (or, with TRIAD_REQUIRE_MPI, failed) test. */
  public static String mpirun() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, "mpirun");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    if (System.getenv("TRIAD_REQUIRE_MPI") != null) {
      throw new AssertionError("TRIAD_REQUIRE_MPI is set but no mpirun is on PATH (apt-get install -y openmpi-bin libopenmpi-dev)");
    }
    assumeTrue(false, "no mpirun on PATH (Open MPI: apt-get install -y openmpi-bin libopenmpi-dev)");
    return null;
  }

  /** The mpirun command line for {@code ranks} ranks of {@code mainClass args} on this test's class path. */
  public static List<String> command(int ranks, String mainClass, List<String> jvmOptions, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(mpirun(), "--oversubscribe", "-np", Integer.toString(ranks)));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Runs the job to its end (at most {@code timeoutSeconds}, then kills it and fails).
   * {@code started} sees the process (to kill a rank of it, say), or null.
   */
  public static Result run(List<String> command, Path workDir, long timeoutSeconds, Consumer<Process> started)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    Map<String, String> env = pb.environment();
    // CI runs as root; Open MPI refuses that unless both are set
    env.put("OMPI_ALLOW_RUN_AS_ROOT", "1");
    env.put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    Path log = Files.createTempFile("mpirun", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    try {
      if (started != null) {
        started.accept(p);
      }
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError("mpirun did not finish in " + timeoutSeconds + " s:\n"
            + Files.readString(log, StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
