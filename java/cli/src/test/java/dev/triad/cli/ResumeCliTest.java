package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.cli.PretrainCliTest.Run;
import dev.triad.tensor.Device;
import dev.triad.train.Checkpoints;
import dev.triad.train.RunLock;
import dev.triad.train.TrainConfig;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.rlhf.RewardTraining;
import dev.triad.train.rlhf.RewardTrainingOptions;
import dev.triad.train.sft.Sft;
import dev.triad.train.sft.SftOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} without retyping, in every phase: a run of N steps, cut back to its checkpoint at
 * step K (as a crash after step K leaves it, with metrics lines past K), resumed with only
 * {@code --out --resume --steps N}, ends with a final checkpoint byte-identical to the straight
 * run's and the same metrics. Every run uses settings away from the defaults (warmup, lr, AdamW's
 * beta2, sequential data order), so a resume that took a CLI default instead of the recorded value
 * would differ. Also: the refusals (another value of a fixed option, --steps at or below the
 * checkpoint) leave the run directory untouched, byte for byte and mtime for mtime; an older run
 * (no options.json) resumes from config.json; a second trainer on the run directory is refused with
 * the holder's PID.
 */
class ResumeCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int N = 4;
  private static final int K = 2;

  @TempDir static Path tmp;
  private static Path pre;
  private static Path sft;
  private static Path reward;
  private static Path sftData;
  private static Path prefData;

  @BeforeAll
  static void bases() throws IOException {
    // small data files keep the evaluations (every run's first and last step) short
    StringBuilder sb = new StringBuilder(), pb = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      sb.append(String.format("{\"prompt\": \"what is %d plus %d?\", \"completion\": \"%d\"}%n", i, i + 1, 2 * i + 1));
      pb.append(String.format("{\"prompt\": \"what is %d plus 1?\", \"chosen\": \"%d\", \"rejected\": \"well, it is"
          + " %d, you idiot\"}%n", i, i + 1, i + 2));
    }
    sftData = Files.writeString(tmp.resolve("sft.jsonl"), sb);
    prefData = Files.writeString(tmp.resolve("pref.jsonl"), pb);
    pre = tmp.resolve("base-pretrain");
    TrainConfig pt = TrainConfig.builder().steps(4).lr(3e-3f).warmupSteps(1).weightDecay(0.0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(4).keepCheckpoints(1).seed(1).build();
    Pretrain.run(PretrainOptions.builder().runDir(pre).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(4 * 64).train(pt).evalBatches(1).build());
    sft = tmp.resolve("base-sft");
    TrainConfig st = TrainConfig.builder().steps(2).warmupSteps(1).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(2).keepCheckpoints(1).seed(1).build();
    Sft.run(SftOptions.builder().runDir(sft).baseRun(pre).dataFile(sftData).device(Device.CPU).batch(4).seqLen(128)
        .pack(true).train(st).evalPerFamily(0).build());
    reward = tmp.resolve("base-reward");
    TrainConfig rt = TrainConfig.builder().steps(2).warmupSteps(1).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(2).keepCheckpoints(1).seed(1).build();
    RewardTraining.run(RewardTrainingOptions.builder().runDir(reward).baseRun(sft).dataFile(prefData)
        .device(Device.CPU).batch(4).seqLen(128).margin(0f).train(rt).build());
  }

  /** Non-default settings every phase shares (all of them recorded, none retyped on resume). */
  private static final String[] COMMON = {"--device", "cpu", "--seed", "7", "--beta2", "0.99", "--eps", "1e-7",
      "--data-order", "sequential", "--steps", Integer.toString(N), "--checkpoint-every", Integer.toString(K)};

  private static String[] args(String command, Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of(command, "--out", out.toString()));
    a.addAll(List.of(COMMON));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  private static String[] pretrainArgs(Path out) {
    return args("pretrain", out, "--model", "tiny", "--batch", "2", "--seq", "16", "--eval-batches", "1",
        "--sample-every", "0", "--warmup", "3", "--lr", "2e-3", "--keep", "5");
  }

  @Test
  void pretrainResumesWithoutRetyping() throws IOException {
    resumesBitIdentically(pretrainArgs(tmp.resolve("pretrain")));
  }

  @Test
  void sftResumesWithoutRetyping() throws IOException {
    resumesBitIdentically(args("sft", tmp.resolve("sft"), "--base", pre.toString(), "--data", sftData.toString(),
        "--batch", "2", "--seq", "128",
        "--warmup", "3", "--lr", "5e-4", "--eval-every", "0", "--eval-per-family", "0"));
  }

  @Test
  void rewardResumesWithoutRetyping() throws IOException {
    resumesBitIdentically(args("reward", tmp.resolve("reward"), "--base", sft.toString(), "--data",
        prefData.toString(), "--batch", "2", "--seq",
        "128", "--warmup", "3", "--lr", "5e-4", "--eval-every", "0", "--margin", "0.5"));
  }

  @Test
  void dpoResumesWithoutRetyping() throws IOException {
    resumesBitIdentically(args("dpo", tmp.resolve("dpo"), "--base", sft.toString(), "--batch", "2", "--warmup", "3",
        "--lr", "5e-4", "--eval-every", "0", "--eval-prompts", "0", "--pairs", "12", "--held-out", "2", "--beta",
        "0.3"));
  }

  @Test
  void grpoResumesWithoutRetyping() throws IOException {
    resumesBitIdentically(args("grpo", tmp.resolve("grpo"), "--policy", sft.toString(), "--reward",
        reward.toString(), "--prompts", "2", "--group", "2", "--max-new-tokens", "4", "--eval-prompts", "2",
        "--warmup", "3", "--lr", "5e-4"));
  }

  @Test
  void ppoResumesWithoutRetyping() throws IOException {
    resumesBitIdentically(args("ppo", tmp.resolve("ppo"), "--policy", sft.toString(), "--reward", reward.toString(),
        "--batch", "2", "--mini-batch", "1", "--epochs", "1", "--max-new-tokens", "4", "--eval-prompts", "2", "--lr",
        "5e-4", "--keep", "5"));
  }

  /**
   * Runs {@code args} straight to step N, copies the run directory as a crash after step K leaves
   * it (checkpoints after K gone, metrics lines past K still there), resumes the copy with only
   * --out, --resume and --steps, and compares.
   */
  private static void resumesBitIdentically(String[] args) throws IOException {
    Path straight = Path.of(args[2]);
    Run a = PretrainCliTest.run(args);
    assertEquals(0, a.exit(), a.toString());
    Path resumed = straight.resolveSibling(straight.getFileName() + "-resumed");
    copyTree(straight, resumed);
    for (Path c : new Checkpoints(resumed, 1).list()) {
      if (Checkpoints.stepOf(c) > K) {
        Files.delete(c);
      }
    }
    assertEquals(K, Checkpoints.stepOf(new Checkpoints(resumed, 1).latest().orElseThrow()));
    Run b = PretrainCliTest.run(args[0], "--out", resumed.toString(), "--resume", "--steps", Integer.toString(N));
    assertEquals(0, b.exit(), b.toString());
    assertFalse(b.out().contains("note:"), "nothing should be assumed or changed: " + b);

    Path fa = straight.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", N));
    Path fb = resumed.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", N));
    assertEquals(-1, Files.mismatch(fa, fb), args[0] + ": the resumed run's final checkpoint differs from the straight"
        + " run's");
    assertEquals(metrics(straight), metrics(resumed), args[0] + ": metrics differ");
    assertEquals(JSON.readTree(straight.resolve(RunOptions.FILE).toFile()),
        JSON.readTree(resumed.resolve(RunOptions.FILE).toFile()), "the recorded options changed");
    assertFalse(Files.exists(resumed.resolve(RunLock.FILE)), "the lock must be released at the end");
  }

  /** Each metrics line's step, loss, lr and grad_norm (timings differ between runs). */
  private static List<String> metrics(Path run) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      StringBuilder sb = new StringBuilder();
      for (String k : new String[] {"step", "loss", "lr", "grad_norm", "val_loss", "reward", "kl"}) {
        if (n.has(k)) {
          sb.append(k).append('=').append(n.get(k).asText()).append(' ');
        }
      }
      out.add(sb.toString());
    }
    return out;
  }

  @Test
  void refusalsLeaveTheRunDirectoryUntouched() throws IOException {
    Path run = tmp.resolve("refusals");
    assertEquals(0, PretrainCliTest.run(pretrainArgs(run)).exit());
    Map<String, String> before = snapshot(run);

    Run changed = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", "6", "--seq", "32");
    assertRefused(changed, "--seq 32", "16", "--steps");
    Run warmup = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", "6", "--warmup", "50");
    assertRefused(warmup, "--warmup 50", "3");
    Run beta2 = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", "6", "--beta2", "0.95");
    assertRefused(beta2, "--beta2 0.95", "0.99");
    Run order = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", "6", "--data-order",
        "shuffled");
    assertRefused(order, "--data-order shuffled", "sequential");
    Run equal = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", Integer.toString(N));
    assertRefused(equal, "--steps " + N, "step " + N);
    Run below = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", "1");
    assertRefused(below, "--steps 1", "step " + N);
    Run otherCommand = PretrainCliTest.run("sft", "--out", run.toString(), "--resume", "--steps", "9");
    assertRefused(otherCommand, "pretrain", "sft");
    assertEquals(before, snapshot(run), "a refused resume changed the run directory");

    // the same value, spelt otherwise, is no change; and allowed changes are taken
    Run ok = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", "6", "--lr", "0.002",
        "--seq", "16", "--eval-every", "1");
    assertEquals(0, ok.exit(), ok.toString());
    assertTrue(ok.out().contains("--steps 6 (was " + N + ")"), ok.toString());
    JsonNode options = JSON.readTree(run.resolve(RunOptions.FILE).toFile()).path("options");
    assertEquals("6", options.path("--steps").asText());
    assertEquals("3", options.path("--warmup").asText());
    assertEquals("1", options.path("--eval-every").asText());
  }

  private static void assertRefused(Run r, String... fragments) {
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().startsWith("triad "), r.toString());
    for (String f : fragments) {
      assertTrue(r.err().contains(f), "'" + f + "' missing from: " + r);
    }
  }

  /** Every file's bytes (hashed) and modification time, by path. */
  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        m.put(dir.relativize(p).toString(), java.util.Arrays.hashCode(Files.readAllBytes(p)) + " "
            + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return m;
  }

  @Test
  void olderRunWithoutOptionsResumesFromConfigWithANote() throws IOException {
    Path straight = tmp.resolve("old-straight");
    assertEquals(0, PretrainCliTest.run(pretrainArgs(straight)).exit());
    Path old = tmp.resolve("old");
    copyTree(straight, old);
    Files.delete(old.resolve(RunOptions.FILE));
    for (Path c : new Checkpoints(old, 1).list()) {
      if (Checkpoints.stepOf(c) > K) {
        Files.delete(c);
      }
    }
    Run r = PretrainCliTest.run("pretrain", "--out", old.toString(), "--resume");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("no " + RunOptions.FILE) && r.out().contains("restored from config.json"), r.toString());
    // config.json holds every setting that matters to the numbers here, so the result is the straight run's
    Path last = Path.of("checkpoints", String.format("step_%08d.safetensors", N));
    assertEquals(-1, Files.mismatch(straight.resolve(last), old.resolve(last)));
    assertTrue(Files.exists(old.resolve(RunOptions.FILE)), "the resume records the options from then on");
  }

  @Test
  void aSecondTrainerOnTheRunDirectoryIsRefusedWithThePid() throws Exception {
    Path run = tmp.resolve("locked");
    CountDownLatch held = new CountDownLatch(1), done = new CountDownLatch(1);
    Thread holder = new Thread(() -> {
      try (RunLock lock = RunLock.acquire(run)) {
        held.countDown();
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    holder.start();
    held.await();
    try {
      Run r = PretrainCliTest.run(pretrainArgs(run));
      assertRefused(r, "in use by another trainer", "PID " + ProcessHandle.current().pid());
      assertFalse(Files.exists(run.resolve("config.json")), "the refused trainer wrote config.json");
      assertFalse(Files.exists(run.resolve(RunOptions.FILE)), "the refused trainer wrote " + RunOptions.FILE);
    } finally {
      done.countDown();
      holder.join();
    }
    assertFalse(Files.exists(run.resolve(RunLock.FILE)), "lock file left after release");
    Run after = PretrainCliTest.run(pretrainArgs(run));
    assertEquals(0, after.exit(), "once released, the directory is free: " + after);
  }

  @Test
  void aFreshRunThePhaseRefusesLeavesNoTrace() {
    Path run = tmp.resolve("never");
    Run r = PretrainCliTest.run("pretrain", "--out", run.toString(), "--model", "tiny", "--seq", "1000", "--device",
        "cpu");
    assertRefused(r, "--seq 1000");
    assertFalse(Files.exists(run), "the refused run left " + run);
  }

  @Test
  void aLockLeftByADeadProcessIsTakenOver() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("stale"));
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    long dead = p.pid();
    assertFalse(ProcessHandle.of(dead).map(ProcessHandle::isAlive).orElse(false));
    Files.writeString(run.resolve(RunLock.FILE), dead + "\n", StandardCharsets.UTF_8);
    Run r = PretrainCliTest.run(pretrainArgs(run));
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("left by PID " + dead) && r.out().contains("taken over"), r.toString());
    assertFalse(Files.exists(run.resolve(RunLock.FILE)));
  }

  @Test
  void truncatedMetricsLineAndStaleTemporariesAreRepairedOnResume() throws IOException {
    Path run = tmp.resolve("repair");
    assertEquals(0, PretrainCliTest.run(pretrainArgs(run)).exit());
    String full = Files.readString(run.resolve("metrics.jsonl"));
    // a kill while step N + 1's line was being written: half a line, no newline
    Files.writeString(run.resolve("metrics.jsonl"), full + "{\"step\":5,\"loss\":4.1", StandardCharsets.UTF_8);
    Path tmpCkpt = Files.writeString(run.resolve("checkpoints/.step_00000006.safetensors.1a2b3c.tmp"), "partial");
    Path tmpConfig = Files.writeString(run.resolve(".config.json.4d5e.tmp"), "{");
    Run r = PretrainCliTest.run("pretrain", "--out", run.toString(), "--resume", "--steps", "6");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("cut off mid-write"), r.toString());
    assertFalse(Files.exists(tmpCkpt), "stale checkpoint .tmp kept");
    assertFalse(Files.exists(tmpConfig), "stale config .tmp kept");
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    List<Integer> steps = new ArrayList<>();
    for (String line : lines) {
      steps.add(JSON.readTree(line).path("step").asInt());
    }
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), steps, "one line per step, the cut one replaced");
    assertTrue(full.lines().toList().equals(lines.subList(0, N + 1)), "the complete lines are kept as they were");
    assertNotEquals(-1, lines.get(5).indexOf("\"lr\""));
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
