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
import dev.triad.train.sft.Sft;
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
    return new TrainConfig(steps, 1, lr, 0.1f, 1, TrainConfig.Schedule.COSINE, 0.2f, 0.0f, 0.9f, 0.95f, 1.0f, 0, 0,
        steps, 1, 5);
  }

  @BeforeAll
  static void bases() throws IOException {
    pre = tmp.resolve("pretrain");
    Pretrain.run(new Pretrain.Options(pre, null, "byte", "tiny", null, Device.CPU, 4, 64, 4 * 64, train(3, 3e-3f), 1,
        false, Precision.BF16));
    sft = tmp.resolve("sft");
    Sft.run(new Sft.Options(sft, pre, null, Device.CPU, 4, 128, true, train(2, 1e-3f), 0, false, false,
        Precision.BF16));
    reward = tmp.resolve("reward");
    RewardTraining.run(new RewardTraining.Options(reward, sft, null, Device.CPU, 4, 128, 0f, train(2, 1e-3f), false,
        Precision.BF16));
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
    Dpo.run(new Dpo.Options(out, sft, Device.CPU, 2, 0.1f, train(1, 1e-4f), false, pairs.train(), pairs.heldOut(),
        "test pairs", 0, Precision.BF16));
    assertBf16Run(out, "loss");
  }

  @Test
  void grpoTakesABf16Step() throws IOException {
    Path out = tmp.resolve("grpo");
    Grpo.run(new Grpo.Options(out, sft, reward, Device.CPU, 2, 2, 6, 0.04f, 0.2f, 2, train(1, 1e-4f), false,
        Precision.BF16));
    assertBf16Run(out, "loss");
  }

  @Test
  void ppoTakesABf16Step() throws IOException {
    Path out = tmp.resolve("ppo");
    Ppo.run(new Ppo.Options(out, sft, reward, Device.CPU, 1, 2, 2, 1, 1e-4f, 0.05f, 6f, true, 10000, 0.2f, 0.2f,
        0.1f, 0.01f, 1.0, 0.95, 6, 1.0f, 2, 3, false, 1, 1, Precision.BF16));
    assertBf16Run(out, "policy_loss");
    assertBf16Run(out, "value_loss");
  }
}
