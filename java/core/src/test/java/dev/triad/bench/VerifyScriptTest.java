package dev.triad.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plumbing of the one GPU command, bench/gpu/verify.sh, on a machine without a GPU: its
 * parsers on made-up inputs, and the script itself over a fake staging (a stand-in JRE, JUnit
 * launcher and java launcher that write canned reports), so every phase's recording, the reruns,
 * the sanitizers' named subsets, the deadlines and the output file count are checked in CI. Where
 * the real staging exists ({@code .gpu/} at the project root), the full dry run runs too.
 */
class VerifyScriptTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The project root: the nearest directory up from here holding bench/gpu/verify.sh. */
  private static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("bench/gpu/verify.sh"))) {
      p = p.getParent();
    }
    assumeTrue(p != null, "bench/gpu/verify.sh not found above the working directory");
    return p;
  }

  private static boolean onPath(String tool) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
  }

  private record Run(int exit, String output) {}

  private static Run run(Path dir, Map<String, String> env, long timeoutS, String... cmd)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();  // until the process closes its output
    assertTrue(p.waitFor(timeoutS, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static void requireTools() {
    assumeTrue(onPath("python3") && onPath("bash") && onPath("timeout") && onPath("xz"),
        "needs bash, python3, timeout and xz");
  }

  @Test
  void parsersAgreeOnMadeUpInputs() throws Exception {
    requireTools();
    Run r = run(root(), Map.of(), 60, "python3", "bench/gpu/verify_report.py", "self-test");
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("self-test PASS"), r.output());
    // profile_step.sh's per-kernel table from ncu's CSV
    r = run(root(), Map.of(), 60, "python3", "bench/gpu/profile_report.py", "self-test");
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("self-test PASS"), r.output());
  }

  /** A stand-in for ../shared/gpu/stage.sh's .gpu/: no GPU, canned JUnit reports. */
  private static Path fakeStaging(Path dir) throws IOException {
    Path g = dir.resolve("gpu");
    Files.createDirectories(g.resolve("jre/bin"));
    Files.createDirectories(g.resolve("classes"));
    write(g.resolve("jre/bin/java"), "#!/bin/sh\necho 'openjdk version \"17.0.99\" (fake)' >&2\n");
    write(g.resolve("java.sh"), """
        #!/usr/bin/env bash
        case $1 in
          dev.triad.cli.Main) echo "triad fake"; echo "cuda  not available: fake staging (no GPU)" ;;
          *) echo "CUDA is not available: fake staging"; exit 2 ;;
        esac
        """);
    // writes one skipped testcase per --include-methodname pattern, or one passing and one
    // failing test without patterns (then sleeps FAKE_SLEEP seconds first, to test deadlines)
    write(g.resolve("junit.sh"), """
        #!/usr/bin/env bash
        dir=. ; pats=()
        while (($#)); do
          case $1 in
            --reports-dir) dir=$2; shift ;;
            --include-methodname) pats+=("$2"); shift ;;
          esac
          shift
        done
        mkdir -p "$dir"
        x=$dir/TEST-junit-jupiter.xml
        if ((${#pats[@]})); then
          echo '<testsuite name="JUnit Jupiter">' > "$x"
          for p in "${pats[@]}"; do
            m=${p%%(*}; m=${m//\\\\/}
            echo "<testcase classname=\\"${m%%#*}\\" name=\\"${m#*#}()\\"><skipped/></testcase>" >> "$x"
          done
        else
          sleep "${FAKE_SLEEP:-0}"
          echo '<testsuite name="JUnit Jupiter"><testcase classname="dev.fake.A" name="ok()"/>' > "$x"
          echo '<testcase classname="dev.fake.A" name="bad(DType)[2]"><failure message="off"/></testcase>' >> "$x"
        fi
        echo '</testsuite>' >> "$x"
        """);
    return g;
  }

  private static void write(Path p, String text) throws IOException {
    Files.writeString(p, text);
    assertTrue(p.toFile().setExecutable(true));
  }

  private static JsonNode results(Path out) throws IOException {
    List<String> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(out)) {
      s.filter(Files::isRegularFile).forEach(f -> files.add(f.getFileName().toString()));
    }
    assertTrue(files.size() <= 6, "at most 6 files under OUT: " + files);
    assertTrue(files.containsAll(List.of("results.json", "summary.txt", "logs.tar.xz")), files.toString());
    JsonNode res = JSON.readTree(out.resolve("results.json").toFile());
    for (String ph : List.of("probe", "tests", "rerun", "memcheck", "racecheck", "bench")) {
      assertTrue(res.path("phases").has(ph), "phase " + ph + " recorded: " + res);
    }
    return res;
  }

  @Test
  void withoutCudaTheRunStopsAfterTheProbe(@TempDir Path tmp) throws Exception {
    requireTools();
    Path g = fakeStaging(tmp);
    Path out = tmp.resolve("out");
    long t0 = System.nanoTime();
    Run r = run(root(), Map.of("OUT", out.toString(), "VERIFY_GPU_DIR", g.toString()), 120,
        "bash", "bench/gpu/verify.sh");
    assertEquals(3, r.exit(), r.output());
    assertTrue((System.nanoTime() - t0) / 1e9 < 60, "stops at once");
    JsonNode res = results(out);
    assertEquals("cuda unavailable", res.path("status").asText());
    assertEquals(false, res.path("phases").path("probe").path("cuda_available").asBoolean(true));
    assertEquals("unavailable", res.path("phases").path("tests").path("status").asText());
    assertTrue(r.output().contains("overall: CUDA UNAVAILABLE"), r.output());
  }

  @Test
  void dryRunRecordsEveryPhaseAndReruns(@TempDir Path tmp) throws Exception {
    requireTools();
    Path g = fakeStaging(tmp);
    Path out = tmp.resolve("out");
    Run r = run(root(), Map.of("OUT", out.toString(), "VERIFY_GPU_DIR", g.toString()), 240,
        "bash", "bench/gpu/verify.sh", "--dry-run");
    assertEquals(0, r.exit(), r.output());
    JsonNode ph = results(out).path("phases");
    JsonNode tests = ph.path("tests").path("junit");
    assertEquals(2, tests.path("total").asInt(), tests.toString());
    assertEquals(1, tests.path("failed").asInt(), tests.toString());
    assertEquals("fail", ph.path("tests").path("status").asText());
    JsonNode rerun = ph.path("rerun").path("methods");
    assertEquals(1, rerun.size(), rerun.toString());
    assertEquals("dev.fake.A#bad", rerun.get(0).path("method").asText());
    for (String s : List.of("memcheck", "racecheck")) {
      assertEquals(0, ph.path(s).path("unmatched").size(), ph.path(s).toString());
      assertTrue(ph.path(s).path("junit").path("total").asInt() >= 7, ph.path(s).toString());
    }
    assertTrue(ph.path("bench").path("fake").asBoolean(), ph.path("bench").toString());
    assertTrue(ph.path("bench").path("rows").size() > 0, ph.path("bench").toString());
  }

  @Test
  void aPhaseIsKilledAtItsDeadlineAndKeepsItsRecord(@TempDir Path tmp) throws Exception {
    requireTools();
    Path g = fakeStaging(tmp);
    Path out = tmp.resolve("out");
    long t0 = System.nanoTime();
    Run r = run(root(), Map.of("OUT", out.toString(), "VERIFY_GPU_DIR", g.toString(), "FAKE_SLEEP", "60",
        "VERIFY_LIMIT_TESTS", "3"), 120, "bash", "bench/gpu/verify.sh", "--dry-run", "--phases", "tests");
    assertEquals(0, r.exit(), r.output());
    assertTrue((System.nanoTime() - t0) / 1e9 < 45, "the 60 s test run was cut at 3 s");
    JsonNode tests = results(out).path("phases").path("tests");
    assertTrue(tests.path("killed").asBoolean(), tests.toString());
    assertEquals("fail", tests.path("status").asText());
    assertTrue(tests.path("seconds").asInt() <= 3 + 4, tests.toString());
    assertEquals("not requested", results(out).path("phases").path("bench").path("status").asText());
  }

  @Test
  void fullDryRunOverTheRealStaging() throws Exception {
    requireTools();
    Path root = root();
    assumeTrue(Files.isRegularFile(root.resolve(".gpu/junit.sh")), "no .gpu/ staged (bench/gpu/stage.sh)");
    Path out = Files.createTempDirectory("triad-verify-dry");
    Run r = run(root, Map.of("OUT", out.toString()), 470, "bash", "bench/gpu/verify.sh", "--dry-run");
    assertEquals(0, r.exit(), r.output());
    JsonNode res = results(out);
    assertEquals("dry-run", res.path("status").asText());
    assertTrue(res.path("phases").path("tests").path("junit").path("total").asInt() > 0, res.toString());
  }
}
