package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.io.Json;
import dev.triad.testing.MpiRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code triad pretrain --distributed} as 2 and 3 Open MPI ranks of the tiny model on this machine
 * (--oversubscribe: more ranks than cores).
 *
 * <p>Tolerance: the same global batch gives the same losses, gradient norms and validation
 * losses as one process to 1e-5 relative, not bit for bit: each rank sums its rows' gradients and
 * its tokens' losses before the ranks' sums are added, a different order of f32 additions than one
 * process's (measured: about 1e-7 after four steps).
 */
class DistributedPretrainTest {
  private static final double TOLERANCE = 1e-5;
  private static final String[] ARGS = {"pretrain", "--model", "tiny", "--batch", "6", "--seq", "32", "--eval-every",
      "2", "--eval-batches", "2", "--sample-every", "0", "--lr", "1e-3", "--device", "cpu", "--checkpoint-every", "2"};

  @TempDir
  Path tmp;

  @Test
  void twoAndThreeRanksTrainAsOneProcessOnTheSameGlobalBatch() throws Exception {
    Path one = tmp.resolve("one");
    PretrainCliTest.Run single = PretrainCliTest.run(args(one, "--steps", "4"));
    assertEquals(0, single.exit(), single.toString());
    for (int ranks : new int[] {2, 3}) {
      Path dir = tmp.resolve("ranks" + ranks);
      MpiRun.Result r = mpirun(ranks, args(dir, "--steps", "4", "--distributed"));
      assertEquals(0, r.exitCode(), r.output());
      assertTrue(r.output().contains("distributed: " + ranks + " ranks (mpi)"), r.output());
      // rank 0 alone prints: one summary line
      assertEquals(1, r.output().split("pretrain: done\\.", -1).length - 1, r.output());
      assertSameMetrics(metrics(one), metrics(dir), 1);
      // rank 0 alone wrote the run: its checkpoints in the single-process format
      assertEquals(List.of("step_00000002.safetensors", "step_00000004.safetensors"), checkpoints(dir));
    }
  }

  @Test
  void aCheckpointOfTwoRanksResumesOnOneAndOnThree() throws Exception {
    Path reference = tmp.resolve("reference");
    assertEquals(0, PretrainCliTest.run(args(reference, "--steps", "4")).exit());
    Path two = tmp.resolve("two");
    MpiRun.Result first = mpirun(2, args(two, "--steps", "2", "--distributed"));
    assertEquals(0, first.exitCode(), first.output());
    Path onOne = tmp.resolve("on-one"), onThree = tmp.resolve("on-three");
    copy(two, onOne);
    copy(two, onThree);
    PretrainCliTest.Run resumed = PretrainCliTest.run("pretrain", "--out", onOne.toString(), "--resume", "--steps", "4");
    assertEquals(0, resumed.exit(), resumed.toString());
    MpiRun.Result three = mpirun(3, new String[] {"pretrain", "--out", onThree.toString(), "--resume", "--steps", "4",
        "--distributed"});
    assertEquals(0, three.exitCode(), three.output());
    assertTrue(three.output().contains("resumed from"), three.output());
    assertSameMetrics(metrics(reference), metrics(onOne), 1);
    assertSameMetrics(metrics(reference), metrics(onThree), 1);
  }

  @Test
  void aKilledRankEndsTheJobAndTheRunResumes() throws Exception {
    Path dir = tmp.resolve("killed");
    List<String> cmd = MpiRun.command(2, Main.class.getName(), List.of(), List.of(args(dir, "--steps", "100000",
        "--distributed")));
    MpiRun.Result r = MpiRun.run(cmd, null, 300, job -> {
      try {
        waitForCheckpoint(dir, job);
        long rank0 = Long.parseLong(Files.readString(dir.resolve(dev.triad.train.RunLock.FILE)).strip().split("\\s+")[0]);
        ProcessHandle victim = job.descendants()
            .filter(p -> p.info().command().orElse("").endsWith("java") && p.pid() != rank0)
            .findFirst().orElseThrow(() -> new AssertionError("no rank but rank 0 (" + rank0 + ") found"));
        new ProcessBuilder("kill", "-9", Long.toString(victim.pid())).start().waitFor();
      } catch (IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertNotEquals(0, r.exitCode(), r.output());
    // Open MPI names the rank (its PID shows as 0 in some containers)
    assertTrue(r.output().contains("mpirun noticed that process rank 1 with PID")
        && r.output().contains("exited on signal 9 (Killed)"), r.output());
    // every checkpoint written is whole: the run resumes from the latest, in one process
    List<String> saved = checkpoints(dir);
    assertTrue(!saved.isEmpty(), "no checkpoint");
    long latest = Long.parseLong(saved.get(saved.size() - 1).replaceAll("\\D", ""));
    PretrainCliTest.Run resumed = PretrainCliTest.run("pretrain", "--out", dir.toString(), "--resume", "--steps",
        Long.toString(latest + 2));
    assertEquals(0, resumed.exit(), resumed.toString());
  }

  @Test
  void aBatchThatLeavesARankWithoutRowsIsRefusedOnEveryRank() throws Exception {
    Path dir = tmp.resolve("small-batch");
    String[] a = args(dir, "--steps", "2", "--distributed");
    a[java.util.Arrays.asList(a).indexOf("--batch") + 1] = "2";
    MpiRun.Result r = mpirun(3, a);
    assertNotEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("--batch 2 rows cannot be split over 3 ranks (each needs at least one); raise --batch"),
        r.output());
  }

  static MpiRun.Result mpirun(int ranks, String[] args) throws Exception {
    return MpiRun.run(MpiRun.command(ranks, Main.class.getName(), List.of(), List.of(args)), null, 300, null);
  }

  private static String[] args(Path out, String... more) {
    List<String> a = new ArrayList<>(List.of(ARGS));
    a.add("--out");
    a.add(out.toString());
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  /** Waits (at most 120 s) until the job has written a checkpoint and two more steps' metrics. */
  private static void waitForCheckpoint(Path dir, Process job) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline && job.isAlive()) {
      if (Files.exists(dir.resolve("metrics.jsonl")) && Files.readAllLines(dir.resolve("metrics.jsonl")).size() >= 5
          && !checkpoints(dir).isEmpty() && Files.exists(dir.resolve(dev.triad.train.RunLock.FILE))) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the job wrote no checkpoint in time");
  }

  private static List<String> checkpoints(Path dir) throws IOException {
    Path c = dir.resolve("checkpoints");
    if (!Files.isDirectory(c)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(c)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).sorted().toList();
    }
  }

  static List<JsonNode> metrics(Path dir) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
      out.add(Json.MAPPER.readTree(line));
    }
    return out;
  }

  /** Every record of {@code actual} (from step {@code from}) has the loss, norm and val loss of {@code expected}'s. */
  static void assertSameMetrics(List<JsonNode> expected, List<JsonNode> actual, long from) {
    int compared = 0;
    for (JsonNode a : actual) {
      long step = a.path("step").asLong();
      if (step < from) {
        continue;
      }
      JsonNode e = expected.stream().filter(x -> x.path("step").asLong() == step).findFirst()
          .orElseThrow(() -> new AssertionError("no step " + step + " in the reference"));
      for (String key : new String[] {"loss", "grad_norm", "val_loss"}) {
        assertEquals(e.has(key), a.has(key), key + " at step " + step);
        if (e.has(key)) {
          double x = e.get(key).asDouble(), y = a.get(key).asDouble();
          assertTrue(Math.abs(x - y) <= TOLERANCE * Math.abs(x), key + " at step " + step + ": " + y + " vs " + x);
          compared++;
        }
      }
    }
    assertTrue(compared >= 4, "compared only " + compared + " figures");
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
