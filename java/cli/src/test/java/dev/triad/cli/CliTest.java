package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI commands run end to end and print what they promise. */
class CliTest {
  private static String captureOut(Supplier<Integer> run, int expectedExit) {
    PrintStream old = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      assertEquals(expectedExit, run.get());
    } finally {
      System.setOut(old);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void infoPrintsVersionCpuAndCudaStatus() {
    String out = captureOut(() -> Main.run("info"), 0);
    assertTrue(out.contains("triad 0.1.0"), out);
    assertTrue(out.matches("(?s).*cpu\\s+available: \\d+ threads; BLAS: OpenBLAS.*"), out);
    assertTrue(out.matches("(?s).*cuda\\s+(available|not available: \\S.*).*"), out);
  }

  @Test
  void demoRunsThePipelineQuickly(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("demo");
    String out = captureOut(() -> Main.run("demo", "--quick", "--device", "cpu", "--out", dir.toString()), 0);
    for (String phase : new String[] {"pretrain", "sft", "reward", "ppo"}) {
      assertTrue(out.contains(">>> " + phase + ": "), "no headline for " + phase + " in\n" + out);
      assertTrue(Files.exists(dir.resolve(phase).resolve("metrics.jsonl")), phase);
    }
    assertTrue(out.contains("demo: report  " + dir.resolve("report.html").toAbsolutePath()), out);
    assertTrue(out.contains("demo: summary " + dir.resolve("summary.json").toAbsolutePath()), out);
    assertTrue(Files.exists(dir.resolve("report.html")));
    assertTrue(new ObjectMapper().readTree(dir.resolve("summary.json").toFile()).has("pretrain.val_loss_end"));

    // what a first run tries next: sample the tuned run (its chat tokens decode; the issue's
    // "token id 260 outside the vocabulary" failure), then rerun the demo without and with --force
    PretrainCliTest.Run s = PretrainCliTest.run("sample", "--run", dir.resolve("sft").toString(), "-n", "4",
        "--max-new-tokens", "40", "--temperature", "2", "--top-k", "0", "--device", "cpu");
    assertEquals(0, s.exit(), s.toString());
    PretrainCliTest.Run again = PretrainCliTest.run("demo", "--quick", "--device", "cpu", "--out", dir.toString());
    assertEquals(1, again.exit(), again.toString());
    assertTrue(again.err().contains("--force") && again.err().lines().count() == 1, again.toString());
    PretrainCliTest.Run forced = PretrainCliTest.run("demo", "--quick", "--force", "--device", "cpu", "--out",
        dir.toString());
    assertEquals(0, forced.exit(), forced.toString());
    assertTrue(forced.out().contains("deleting the previous demo in " + dir), forced.toString());
    assertTrue(Files.isRegularFile(dir.resolve(dev.triad.demo.Demo.MARKER)), "the new demo is marked");
  }

  @Test
  void unknownDeviceIsAUsageError() {
    PrintStream oldErr = System.err;
    try (PrintStream silent = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
      System.setErr(silent);
      assertTrue(Main.run("demo", "--device", "tpu", "--quick") != 0);
    } finally {
      System.setErr(oldErr);
    }
  }
}
