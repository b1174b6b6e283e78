package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.cli.PretrainCliTest.Run;
import dev.triad.nn.Gpt;
import dev.triad.tensor.Device;
import dev.triad.train.Checkpoints;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 mid-run, a few times at random moments (mid-step, mid-checkpoint, mid-metrics line): each
 * time {@code triad pretrain --resume} (nothing retyped) takes over the dead process's lock and
 * repairs the directory, and the last resume trains to the end: every step logged exactly once,
 * the final checkpoint loads, no lock or temporary file left behind. While the first trainer
 * lives, a second one (this JVM) is refused with its PID.
 */
class KillResumeTest {
  private static final int STEPS = 40;
  private static final int KILLS = 3;

  @TempDir Path tmp;

  @Test
  void killedRunsResumeToTheEnd() throws Exception {
    Path run = tmp.resolve("run");
    Random random = new Random(20261204);
    long latest = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "pretrain", "--out", run.toString()));
      cmd.addAll(kill == 0
          ? List.of("--model", "tiny", "--batch", "2", "--seq", "16", "--eval-batches", "1", "--sample-every", "0",
              "--device", "cpu", "--warmup", "5", "--steps", Integer.toString(STEPS), "--checkpoint-every", "1")
          : List.of("--resume"));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("log" + kill).toFile())
          .start();
      try {
        // wait for a checkpoint beyond the last one, then kill at a random moment of the steps that follow
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (latestStep(run) <= latest && p.isAlive() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertTrue(p.isAlive(), "the trainer ended before it was killed:\n" + Files.readString(tmp.resolve("log" + kill)));
        if (kill == 0) {
          // a second trainer on the directory, in another process: refused with the holder's PID
          Run second = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume");
          assertEquals(1, second.exit(), second.toString());
          assertTrue(second.err().contains("in use by another trainer (PID " + p.pid()), second.toString());
        }
        Thread.sleep(random.nextInt(300));
      } finally {
        p.destroyForcibly(); // SIGKILL
      }
      assertEquals(137, p.waitFor(), "not killed by SIGKILL");
      latest = latestStep(run);
      assertTrue(latest < STEPS, "the run finished before kill " + kill);
    }
    Run r = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("resumed from"), r.toString());
    assertTrue(r.out().contains("left by PID") && r.out().contains("taken over"), "the killed trainer's lock: " + r);

    List<Integer> steps = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      steps.add(json.readTree(line).path("step").asInt()); // every line parses
    }
    List<Integer> expected = new ArrayList<>();
    for (int s = 0; s <= STEPS; s++) {
      expected.add(s);
    }
    assertEquals(expected, steps, "each step logged once");
    assertEquals(STEPS, latestStep(run));
    try (Gpt model = RunInfo.loadModel(run, null, Device.CPU)) {
      assertTrue(model.parameterCount() > 0);
    }
    assertFalse(Files.exists(run.resolve(RunLock.FILE)), "lock left behind");
    try (Stream<Path> files = Files.walk(run)) {
      assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(),
          "temporary files left behind");
    }
  }

  private static long latestStep(Path run) {
    return new Checkpoints(run, 1).latest().map(Checkpoints::stepOf).orElse(0L);
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java" + (File.separatorChar == '\\' ? ".exe" : ""))
        .toString();
  }
}
