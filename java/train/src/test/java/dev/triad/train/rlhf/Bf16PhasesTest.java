package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsDType;
import dev.triad.io.SafetensorsFile;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.Checkpoints;
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
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every phase trains in bf16 on the CPU backend: pretraining, SFT and reward training build the
 * bases (each a bf16 run of a few steps), then DPO, GRPO and PPO take one bf16 step each. Each run
 * records "bf16" in config.json, logs finite losses, and checkpoints f32 masters.
 */
class Bf16PhasesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static Path pre;
  private static Path sft;
  private static Path reward;

  private static TrainConfig train(int steps, float lr) {
    return TrainConfig.builder().steps(steps).lr(lr).warmupSteps(1).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(steps).keepCheckpoints(1).seed(5).build();
  }

  @BeforeAll
  static void bases() throws IOException {
    pre = tmp.resolve("pretrain");
    Pretrain.run(PretrainOptions.builder().runDir(pre).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(4 * 64).train(train(3, 3e-3f)).evalBatches(1).precision(Precision.BF16).build());
    sft = tmp.resolve("sft");
    Sft.run(SftOptions.builder().runDir(sft).baseRun(pre).device(Device.CPU).batch(4).seqLen(128).pack(true)
        .train(train(2, 1e-3f)).evalPerFamily(0).precision(Precision.BF16).build());
    reward = tmp.resolve("reward");
    RewardTraining.run(RewardTrainingOptions.builder().runDir(reward).baseRun(sft).device(Device.CPU).batch(4)
        .seqLen(128).margin(0f).train(train(2, 1e-3f)).precision(Precision.BF16).build());
    for (Path run : List.of(pre, sft, reward)) {
      assertBf16Run(run, "loss");
    }
  }

  /** config.json says bf16, every logged {@code key} is finite, the checkpoint holds f32 tensors only. */
  private static void assertBf16Run(Path run, String key) throws IOException {
    assertEquals("bf16", RunInfo.read(run).precision(), run + ": config.json precision");
    int lines = 0;
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      JsonNode n = JSON.readTree(line);
      if (n.has(key)) {
        assertTrue(Double.isFinite(n.get(key).asDouble()), run + ": " + line);
        lines++;
      }
    }
    assertTrue(lines >= 1, run + ": no '" + key + "' in metrics.jsonl");
    Path ckpt = new Checkpoints(run, 1).latest().orElseThrow();
    try (SafetensorsFile f = Safetensors.open(ckpt)) {
      int models = 0;
      for (String name : f.names()) {
        assertEquals(SafetensorsDType.F32, f.info(name).dtype(), ckpt + ": " + name);
        models += name.contains("model.") ? 1 : 0;
      }
      assertTrue(models > 10, ckpt + " holds " + models + " model tensors");
    }
  }

  @Test
  void dpoTakesABf16Step() throws IOException {
    ChatTemplate template = new ChatTemplate(Tokenizer.byName("byte"));
    DpoData.Pairs pairs = DpoData.embedded(template, 3, 8, 4);
    Path out = tmp.resolve("dpo");
    Dpo.run(DpoOptions.builder().runDir(out).baseRun(sft).device(Device.CPU).batch(2).beta(0.1f)
        .train(train(1, 1e-4f)).trainPairs(pairs.train()).heldOutPairs(pairs.heldOut()).data("test pairs")
        .evalPrompts(0).precision(Precision.BF16).build());
    assertBf16Run(out, "loss");
  }

  @Test
  void grpoTakesABf16Step() throws IOException {
    Path out = tmp.resolve("grpo");
    Grpo.run(GrpoOptions.builder().runDir(out).policyRun(sft).rewardRun(reward).device(Device.CPU).prompts(2)
        .group(2).maxNewTokens(6).beta(0.04f).clipEps(0.2f).evalPrompts(2).train(train(1, 1e-4f))
        .precision(Precision.BF16).build());
    assertBf16Run(out, "loss");
  }

  @Test
  void ppoTakesABf16Step() throws IOException {
    Path out = tmp.resolve("ppo");
    Ppo.run(PpoOptions.builder().runDir(out).policyRun(sft).rewardRun(reward).device(Device.CPU).steps(1).batch(2)
        .miniBatch(2).epochs(1).lr(1e-4f).beta(0.05f).targetKl(6f).adaptiveKl(true).klHorizon(10000).clipEps(0.2f)
        .valueClipEps(0.2f).vfCoef(0.1f).entCoef(0.01f).gamma(1.0).lambda(0.95).maxNewTokens(6).gradClip(1.0f)
        .evalPrompts(2).seed(3).checkpointEvery(1).keepCheckpoints(1).precision(Precision.BF16).build());
    assertBf16Run(out, "policy_loss");
    assertBf16Run(out, "value_loss");
  }
}
