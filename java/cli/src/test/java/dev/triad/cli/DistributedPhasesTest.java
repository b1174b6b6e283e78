package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.MpiRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SFT, the reward model and DPO with {@code --distributed} on 2 Open MPI ranks train as one
 * process on the same global batch (and GRPO and PPO train, their rollouts split over the ranks) (to DistributedPretrainTest's 1e-5): SFT's ranks weighted by
 * their loss-bearing tokens (a rank's rows hold more or fewer assistant tokens), the pair losses by
 * pairs. On a tiny pretrained base, three steps each.
 */
class DistributedPhasesTest {
  @TempDir
  Path tmp;

  @Test
  void sftRewardAndDpoOnTwoRanksTrainAsOneProcess() throws Exception {
    Path base = tmp.resolve("base");
    assertEquals(0, PretrainCliTest.run("pretrain", "--model", "tiny", "--steps", "2", "--batch", "2", "--seq", "32",
        "--sample-every", "0", "--eval-batches", "1", "--device", "cpu", "--out", base.toString()).exit());
    // small data sets, so that the evaluations every rank repeats stay short
    Path sftData = tmp.resolve("sft.jsonl"), pairs = tmp.resolve("pairs.jsonl");
    StringBuilder sftLines = new StringBuilder(), pairLines = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      int a = i % 7, b = i / 7;
      // replies of different lengths: the ranks' rows hold different numbers of loss-bearing tokens
      sftLines.append(String.format("{\"prompt\": \"What is %d plus %d?\", \"completion\": \"%s\"}%n", a, b,
          i % 2 == 0 ? Integer.toString(a + b) : "The sum of " + a + " and " + b + " is " + (a + b) + "."));
      pairLines.append(String.format("{\"prompt\": \"What is %d plus %d?\", \"chosen\": \"%d\", \"rejected\": \"%d\"}%n",
          a, b, a + b, a + b + 1));
    }
    Files.writeString(sftData, sftLines);
    Files.writeString(pairs, pairLines);
    Path sft = check("sft", base, "--data", sftData.toString(), "--seq", "64", "--warmup", "1", "--eval-per-family", "0",
        "--lr", "1e-3");
    Path reward = check("reward", sft, "--data", pairs.toString());
    check("dpo", sft, "--data", pairs.toString(), "--eval-prompts", "0");
    // GRPO: each rank samples the groups of its share of the step's prompts (its own sampling
    // stream, so not one process's samples): it trains, and rank 0 writes the run
    Path grpo = tmp.resolve("grpo-two");
    MpiRun.Result g = DistributedPretrainTest.mpirun(2, new String[] {"grpo", "--policy", sft.toString(), "--reward",
        reward.toString(), "--steps", "2", "--prompts", "4", "--group", "2", "--eval-prompts", "4", "--device", "cpu",
        "--out", grpo.toString(), "--distributed"});
    assertEquals(0, g.exitCode(), g.output());
    List<com.fasterxml.jackson.databind.JsonNode> steps = DistributedPretrainTest.metrics(grpo).stream()
        .filter(m -> m.has("loss")).toList();
    assertEquals(2, steps.size(), steps.toString());
    steps.forEach(m -> assertTrue(Double.isFinite(m.get("loss").asDouble()) && m.get("grad_norm").asDouble() > 0,
        m.toString()));
    // PPO: each rank rolls out its share of the batch, the advantages whitened over all of them, the
    // gradients averaged before every minibatch step; rank 0 writes
    String[] ppo = {"ppo", "--policy", sft.toString(), "--reward", reward.toString(), "--steps", "2", "--batch", "4",
        "--mini-batch", "2", "--epochs", "1", "--eval-prompts", "4", "--device", "cpu", "--out",
        tmp.resolve("ppo-two").toString(), "--distributed"};
    MpiRun.Result p = DistributedPretrainTest.mpirun(2, ppo);
    assertEquals(0, p.exitCode(), p.output());
    assertTrue(p.output().contains("ppo: step 2/2 reward"), p.output());
    assertTrue(Files.exists(tmp.resolve("ppo-two/checkpoints/step_00000002.safetensors")), p.output());
    // a batch the ranks cannot split evenly is refused on every rank before anything is trained
    ppo[ppo.length - 2] = tmp.resolve("ppo-three").toString();
    MpiRun.Result odd = DistributedPretrainTest.mpirun(3, ppo);
    assertTrue(odd.exitCode() != 0, odd.output());
    assertTrue(odd.output().contains("--batch 4 is not a multiple of the 3 ranks; with --distributed PPO splits --batch"
        + " and --mini-batch evenly"), odd.output());
  }

  /** Runs {@code phase} on {@code base} in one process and on 2 ranks; returns the single process's run. */
  private Path check(String phase, Path base, String... extra) throws Exception {
    Path one = tmp.resolve(phase + "-one"), two = tmp.resolve(phase + "-two");
    PretrainCliTest.Run single = PretrainCliTest.run(args(phase, base, one, extra));
    assertEquals(0, single.exit(), single.toString());
    List<String> distributed = new ArrayList<>(List.of(args(phase, base, two, extra)));
    distributed.add("--distributed");
    MpiRun.Result r = DistributedPretrainTest.mpirun(2, distributed.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.output());
    DistributedPretrainTest.assertSameMetrics(DistributedPretrainTest.metrics(one), DistributedPretrainTest.metrics(two), 0);
    return one;
  }

  private static String[] args(String phase, Path base, Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of(phase, "--base", base.toString(), "--out", out.toString(), "--steps", "3",
        "--batch", "4", "--eval-every", "3", "--device", "cpu"));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }
}
