package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.tensor.Device;
import dev.triad.train.RunInfo;
import dev.triad.train.TrainConfig;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.sft.Sft;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PPO end to end on tiny pretrain -> SFT -> reward bases: a few steps run and ppo_eval.json is finite. */
class PpoTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static Path sft;
  private static Path reward;

  @BeforeAll
  static void bases() {
    Path pre = tmp.resolve("pretrain");
    TrainConfig pt = new TrainConfig(8, 1, 3e-3f, 0.1f, 2, TrainConfig.Schedule.COSINE, 0.2f, 0.0f, 0.9f, 0.95f, 1.0f,
        0, 0, 8, 1, 1);
    Pretrain.run(new Pretrain.Options(pre, null, "byte", "tiny", null, Device.CPU, 4, 64, 4 * 64, pt, 1, false));
    sft = tmp.resolve("sft");
    TrainConfig st = new TrainConfig(4, 1, 1e-3f, 0.1f, 1, TrainConfig.Schedule.COSINE, 0.2f, 0.0f, 0.9f, 0.95f, 1.0f,
        0, 0, 4, 1, 1);
    Sft.run(new Sft.Options(sft, pre, null, Device.CPU, 4, 128, true, st, 0, false, false));
    reward = tmp.resolve("reward");
    TrainConfig rt = new TrainConfig(4, 1, 1e-3f, 0.1f, 1, TrainConfig.Schedule.COSINE, 0.2f, 0.0f, 0.9f, 0.95f, 1.0f,
        0, 0, 4, 1, 1);
    RewardTraining.run(new RewardTraining.Options(reward, sft, null, Device.CPU, 4, 128, 0f, rt, false));
  }

  private static Ppo.Options options(Path out, boolean resume) {
    return new Ppo.Options(out, sft, reward, Device.CPU, 3, 4, 2, 2, 1e-4f, 0.05f, 6f, true, 10000, 0.2f, 0.2f,
        0.1f, 0.01f, 1.0, 0.95, 8, 1.0f, 4, 3, resume);
  }

  @Test
  void runsAFewStepsAndWritesTheEvaluation() throws IOException {
    Path out = tmp.resolve("ppo");
    long live = Device.CPU.liveBytes();
    Ppo.Result r = Ppo.run(options(out, false));
    assertEquals(live, Device.CPU.liveBytes(), "native memory left behind by a PPO run");
    assertEquals(3, r.steps().size());
    for (Ppo.StepMetrics m : r.steps()) {
      for (double v : new double[] {m.reward(), m.kl(), m.entropy(), m.clipFraction(), m.approxKl(), m.valueLoss(),
          m.policyLoss(), m.responseLength()}) {
        assertTrue(Double.isFinite(v), "non-finite metric in " + m);
      }
      assertTrue(m.entropy() > 0, "entropy " + m);
      assertTrue(m.clipFraction() >= 0 && m.clipFraction() <= 1, "clip fraction " + m);
    }
    assertEquals(0.0, r.steps().get(0).kl(), 1e-4, "step 1 rolls out with the reference weights: KL 0");
    JsonNode eval = JSON.readTree(out.resolve("ppo_eval.json").toFile());
    for (String k : new String[] {"reward_before", "reward_after", "kl_final", "rule_score_before",
        "rule_score_after"}) {
      assertTrue(eval.hasNonNull(k) && Double.isFinite(eval.get(k).asDouble()), k + " in " + eval);
    }
    assertEquals(3, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    assertEquals("ppo", RunInfo.read(out).phase());
    RunInfo.loadModel(out, null, Device.CPU).close(); // the final policy loads as a model run
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ppo.run(options(out, true)));
    assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Ppo.run(options(out, false)), "existing checkpoints");
  }
}
