package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.tensor.Device;
import dev.triad.train.RunInfo;
import dev.triad.train.TrainConfig;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.sft.Sft;
import dev.triad.train.sft.SftOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRPO end to end on tiny bases (a few steps each of pretraining, SFT and reward modelling, byte
 * tokenizer): two steps run, the per-step metrics and grpo_eval.json hold finite values, and a run
 * interrupted and resumed ends bit-identical to a straight one (rollouts derive from (seed, step)).
 */
class GrpoTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static Path sft;
  private static Path reward;

  @BeforeAll
  static void tinyBases() {
    Path pre = tmp.resolve("pretrain");
    TrainConfig pt = TrainConfig.builder().steps(12).lr(3e-3f).warmupSteps(2).weightDecay(0.0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(12).keepCheckpoints(1).seed(3).build();
    Pretrain.run(PretrainOptions.builder().runDir(pre).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(4 * 64).train(pt).evalBatches(1).build());
    sft = tmp.resolve("sft");
    TrainConfig st = TrainConfig.builder().steps(6).warmupSteps(1).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(6).keepCheckpoints(1).seed(3).build();
    Sft.run(SftOptions.builder().runDir(sft).baseRun(pre).device(Device.CPU).batch(4).seqLen(128).pack(true)
        .train(st).evalPerFamily(0).build());
    reward = tmp.resolve("reward");
    TrainConfig rt = TrainConfig.builder().steps(4).lr(2e-3f).warmupSteps(1).weightDecay(0.0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(4).keepCheckpoints(1).seed(3).build();
    RewardTraining.run(RewardTrainingOptions.builder().runDir(reward).baseRun(sft).device(Device.CPU).batch(4)
        .seqLen(128).margin(0f).train(rt).build());
  }

  private static GrpoOptions options(Path out, int steps, float beta, boolean resume) {
    TrainConfig t = TrainConfig.builder().steps(steps).warmupSteps(0).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(1).keepCheckpoints(10).seed(3).build();
    return GrpoOptions.builder().runDir(out).policyRun(sft).rewardRun(reward).device(Device.CPU).prompts(2).group(3)
        .maxNewTokens(12).beta(beta).clipEps(0.2f).evalPrompts(6).train(t).resume(resume).build();
  }

  @Test
  void twoStepsWriteFiniteMetricsAndReport() throws IOException {
    Path out = tmp.resolve("grpo");
    long liveBytes = Device.CPU.liveBytes();
    Grpo.Result r = Grpo.run(options(out, 2, 0.1f, false));
    assertEquals(liveBytes, Device.CPU.liveBytes(), "native memory left behind by a GRPO run");
    assertNotNull(r.before());
    assertEquals(0.0, r.before().kl(), 0.0);
    assertTrue(Double.isFinite(r.after().reward()) && Double.isFinite(r.after().kl()), r.after().toString());
    assertTrue(r.after().kl() >= 0, "k3 is never negative: " + r.after());

    JsonNode eval = JSON.readTree(out.resolve(Grpo.REPORT).toFile());
    for (String key : new String[] {"reward_before", "reward_after", "kl_final", "rule_score_before",
        "rule_score_after"}) {
      assertTrue(eval.hasNonNull(key) && Double.isFinite(eval.get(key).asDouble()), key + " in " + eval);
    }
    assertEquals(r.after().reward(), eval.get("reward_after").asDouble(), 1e-12);
    assertEquals(6, eval.get("eval_prompts").asInt());

    RunInfo info = RunInfo.read(out);
    assertEquals(Grpo.PHASE, info.phase());
    assertEquals(sft.toString(), info.settings().get("base_run"));

    List<JsonNode> lines = metrics(out);
    assertEquals(2, lines.size());
    for (JsonNode line : lines) {
      for (String key : new String[] {"loss", "reward_mean", "reward_group_std", "kl", "response_length",
          "gen_tokens_per_s"}) {
        assertTrue(line.has(key) && Double.isFinite(line.get(key).asDouble()), key + " missing in " + line);
      }
      assertTrue(line.get("response_length").asDouble() <= 12);
    }
    // the first step is on-policy from the reference: KL 0 exactly
    assertEquals(0.0, lines.get(0).get("kl").asDouble(), 0.0);
  }

  @Test
  void resumedRunIsBitIdenticalToAStraightRun() throws IOException {
    Path a = tmp.resolve("straight");
    Path b = tmp.resolve("resumed");
    Grpo.run(options(a, 2, 0f, false));
    Grpo.run(options(b, 1, 0f, false));
    Grpo.Result rb = Grpo.run(options(b, 2, 0f, true));
    assertNull(rb.before(), "a resumed run has no before-evaluation");
    Path ca = a.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 2));
    Path cb = b.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 2));
    try (SafetensorsFile fa = Safetensors.open(ca); SafetensorsFile fb = Safetensors.open(cb)) {
      assertEquals(new TreeMap<>(fa.metadata()), new TreeMap<>(fb.metadata()));
      for (String name : fa.names()) {
        float[] u = fa.readFloats(name), v = fb.readFloats(name);
        for (int i = 0; i < u.length; i++) {
          if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
            fail(name + "[" + i + "] differs: " + u[i] + " (straight) vs " + v[i] + " (resumed)");
          }
        }
      }
    }
    JsonNode ea = JSON.readTree(a.resolve(Grpo.REPORT).toFile());
    JsonNode eb = JSON.readTree(b.resolve(Grpo.REPORT).toFile());
    assertEquals(ea.get("reward_after").asDouble(), eb.get("reward_after").asDouble(), 0.0);
    assertThrows(IllegalArgumentException.class, () -> Grpo.run(options(b, 2, 0f, false)));
  }

  private static List<JsonNode> metrics(Path run) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      JsonNode n = JSON.readTree(line);
      if (n.has("loss")) {
        out.add(n);
      }
    }
    return out;
  }
}
