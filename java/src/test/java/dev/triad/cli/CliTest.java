package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

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
  void demoLearnsTheCopyTask() {
    // 150 steps take the loss from ln(12) ~ 2.48 to well under 1 on this seed-fixed task
    String out = captureOut(() -> Main.run("demo", "--steps", "150"), 0);
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("loss (\\d+\\.\\d+) -> (\\d+\\.\\d+) .*held-out copy accuracy (\\d+\\.\\d)%").matcher(out);
    assertTrue(m.find(), out);
    double first = Double.parseDouble(m.group(1));
    double last = Double.parseDouble(m.group(2));
    double accuracy = Double.parseDouble(m.group(3));
    assertEquals(Math.log(12), first, 0.2, out);
    assertTrue(last < 0.5 * first, out);
    assertTrue(accuracy > 50, out);
  }

  @Test
  void unknownDeviceIsAUsageError() {
    PrintStream oldErr = System.err;
    try (PrintStream silent = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
      System.setErr(silent);
      assertTrue(Main.run("demo", "--device", "tpu", "--steps", "1") != 0);
    } finally {
      System.setErr(oldErr);
    }
  }
}
