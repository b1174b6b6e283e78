package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Conversation;
import dev.triad.data.chat.Message;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.PreferencePair;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.nn.RewardModel;
import dev.triad.tensor.Device;
import dev.triad.tensor.Scope;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reward modelling end to end on a tiny pretrained + instruction-tuned base: the held-out loss falls
 * and held-out accuracy rises on the embedded preference data, reward_eval.json and config.json
 * record it, and a resumed run is bit-identical to a straight one.
 */
class RewardTrainingTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path tmp;
  private static Path sft;

  @BeforeAll
  static void bases() {
    Path pre = tmp.resolve("pretrain");
    TrainConfig pt = TrainConfig.builder().steps(12).lr(3e-3f).warmupSteps(2).weightDecay(0.0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(12).keepCheckpoints(1).seed(1).build();
    Pretrain.run(PretrainOptions.builder().runDir(pre).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(4 * 64).train(pt).evalBatches(1).build());
    sft = tmp.resolve("sft");
    TrainConfig st = TrainConfig.builder().steps(6).warmupSteps(1).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(6).keepCheckpoints(1).seed(1).build();
    Sft.run(SftOptions.builder().runDir(sft).baseRun(pre).device(Device.CPU).batch(4).seqLen(128).pack(true)
        .train(st).evalPerFamily(0).build());
  }

  private static TrainConfig train(int steps, int warmup, float lr, int evalEvery) {
    return TrainConfig.builder().steps(steps).lr(lr).warmupSteps(warmup).weightDecay(0.0f).evalEvery(evalEvery)
        .sampleEvery(0).checkpointEvery(steps).keepCheckpoints(10).seed(4242).build();
  }

  @Test
  void learnsTheEmbeddedPreferences() throws IOException {
    Path run = tmp.resolve("reward");
    // lr 1e-3: the tiny base is at chance on the correctness pairs, and at 2e-3 its growing confidence in the
    // replies' forms there raised the held-out loss (0.694 -> 0.710) on the length-balanced pairs
    RewardTraining.Result r = RewardTraining.run(RewardTrainingOptions.builder().runDir(run).baseRun(sft)
        .device(Device.CPU).batch(8).seqLen(128).margin(0f).train(train(40, 4, 1e-3f, 0)).build());
    RewardTraining.Report before = r.before(), after = r.after();
    assertNotNull(before);
    assertNotNull(after);
    System.out.printf("reward test: held-out accuracy %.3f -> %.3f, loss %.4f -> %.4f, margin %.3f, by rule %s%n",
        before.accuracy(), after.accuracy(), before.loss(), after.loss(), after.meanMargin(), after.accuracyByRule());
    assertTrue(after.pairs() > 100, "held-out pairs: " + after.pairs());
    assertTrue(after.loss() < before.loss() - 0.05, "held-out loss " + before.loss() + " -> " + after.loss());
    assertTrue(after.accuracy() > 0.7, "held-out accuracy after training: " + after.accuracy());
    assertTrue(after.meanMargin() > before.meanMargin(), "mean margin " + before.meanMargin() + " -> " + after.meanMargin());
    assertEquals(r.training().lastValLoss(), after.loss(), 1e-4, "the Trainer's val loss is the held-out BT loss");

    // the per-step training loss falls too (mean of the first and the last five steps)
    List<JsonNode> m = metrics(run);
    double first = 0, last = 0;
    List<JsonNode> steps = m.stream().filter(n -> n.has("loss")).toList();
    assertEquals(40, steps.size());
    for (int i = 0; i < 5; i++) {
      first += steps.get(i).get("loss").asDouble();
      last += steps.get(steps.size() - 1 - i).get("loss").asDouble();
    }
    assertTrue(last < first, "training loss did not fall: first five " + first / 5 + ", last five " + last / 5);
    for (String k : List.of("accuracy", "margin", "reward_mean", "reward_std")) {
      assertTrue(steps.get(0).has(k), "metrics line lacks " + k + ": " + steps.get(0));
    }

    JsonNode report = JSON.readTree(run.resolve(RewardTraining.REPORT).toFile());
    assertEquals(after.accuracy(), report.get("heldout_accuracy").asDouble(), 1e-12);
    assertEquals(after.meanMargin(), report.get("heldout_mean_margin").asDouble(), 1e-12);
    assertEquals(after.rewardMean(), report.get("reward_mean").asDouble(), 1e-12);
    assertEquals(after.rewardStd(), report.get("reward_std").asDouble(), 1e-12);
    assertTrue(report.get("heldout_accuracy_by_rule").has("concise"), report.toString());
    assertEquals(before.accuracy(), report.get("before").get("heldout_accuracy").asDouble(), 1e-12);

    RunInfo info = RunInfo.read(run);
    assertEquals("reward", info.phase());
    assertEquals(sft.toString(), info.settings().get("base_run"));
    assertEquals(ChatTemplate.VERSION, info.settings().get("chat_template"));

    // the saved model reloads and scores a held-out pair as the run did
    ChatTemplate t = new ChatTemplate(Tokenizer.byName("byte"));
    PreferencePair p = PreferencePair.of("What is 3 plus 4?", "7", "Shut up. 7");
    try (RewardModel loaded = RewardTraining.loadModel(run, null, Device.CPU); Scope s = Scope.open()) {
      RewardTask.Rewards rw = RewardTask.rewards(loaded, List.of(RewardTraining.encode(t, p, 128)), t.bosToken());
      assertTrue(Float.isFinite(rw.chosen().item()) && Float.isFinite(rw.rejected().item()));
    }
    assertThrows(IllegalArgumentException.class, () -> RewardTraining.loadModel(sft, null, Device.CPU),
        "an SFT run is not a reward run");
    // a finished run refuses to be overwritten
    assertThrows(IllegalArgumentException.class, () -> RewardTraining.run(RewardTrainingOptions.builder().runDir(run)
        .baseRun(sft).device(Device.CPU).batch(8).seqLen(128).margin(0f).train(train(40, 4, 2e-3f, 0)).build()));
  }

  @Test
  void renderingEqualsTheChatTemplate() {
    ChatTemplate t = new ChatTemplate(Tokenizer.byName("byte"));
    List<Message> prompt = List.of(Message.system("S"), Message.user("Hi"));
    int[] got = RewardTraining.render(t, prompt, "Yo");
    List<Message> conv = new ArrayList<>(prompt);
    conv.add(Message.assistant("Yo"));
    assertEquals(Arrays.toString(t.render(new Conversation(conv)).tokens()), Arrays.toString(got));
    assertEquals(t.endToken(), got[got.length - 1]);
  }

  /** Interrupted after N steps and resumed to 2N, a run ends bit-identical to a straight 2N-step run. */
  @Test
  void resumeIsExact() throws IOException {
    // a small JSONL file: 40 embedded pairs with short prompts (every 10th held out)
    StringBuilder sb = new StringBuilder();
    int n = 0;
    for (PreferencePair p : PreferenceData.defaultSplit(3).train()) {
      if (p.lastUserMessage().length() < 40 && n++ < 40) {
        sb.append(JSON.writeValueAsString(Map.of("prompt", p.lastUserMessage(), "chosen", p.chosen(), "rejected",
            p.rejected()))).append('\n');
      }
    }
    Path data = Files.writeString(tmp.resolve("pairs.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    final int half = 3;
    Path a = tmp.resolve("straight"), b = tmp.resolve("resumed");
    RewardTraining.run(RewardTrainingOptions.builder().runDir(a).baseRun(sft).dataFile(data).device(Device.CPU)
        .batch(4).seqLen(128).margin(0.5f).train(train(2 * half, half, 1e-3f, half)).build());
    RewardTraining.run(RewardTrainingOptions.builder().runDir(b).baseRun(sft).dataFile(data).device(Device.CPU)
        .batch(4).seqLen(128).margin(0.5f).train(train(half, half, 1e-3f, half)).build());
    RewardTraining.Result rb = RewardTraining.run(RewardTrainingOptions.builder().runDir(b).baseRun(sft)
        .dataFile(data).device(Device.CPU).batch(4).seqLen(128).margin(0.5f).train(train(2 * half, half, 1e-3f, half))
        .resume(true).build());
    assertNull(rb.before(), "a resumed run has no before-training figures");
    assertSame(checkpoint(a, 2 * half), checkpoint(b, 2 * half));
    List<JsonNode> la = metrics(a), lb = metrics(b);
    assertEquals(la.size(), lb.size());
    for (int i = 0; i < la.size(); i++) {
      for (String k : List.of("loss", "grad_norm", "accuracy", "margin", "reward_mean", "reward_std", "val_loss")) {
        assertEquals(la.get(i).has(k), lb.get(i).has(k), k + " at line " + i);
        if (la.get(i).has(k)) {
          assertEquals(la.get(i).get(k).asDouble(), lb.get(i).get(k).asDouble(), 0.0, k + " at line " + i);
        }
      }
    }
  }

  private static Path checkpoint(Path run, long step) {
    return run.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", step));
  }

  private static void assertSame(Path x, Path y) throws IOException {
    try (SafetensorsFile fx = Safetensors.open(x); SafetensorsFile fy = Safetensors.open(y)) {
      assertEquals(new TreeMap<>(fx.metadata()), new TreeMap<>(fy.metadata()));
      assertEquals(new java.util.TreeSet<>(fx.names()), new java.util.TreeSet<>(fy.names()));
      assertTrue(fx.names().contains("model.score.weight") && fx.names().contains("adam_m.backbone.wte.weight"),
          fx.names().toString());
      for (String name : fx.names()) {
        float[] u = fx.readFloats(name), v = fy.readFloats(name);
        for (int i = 0; i < u.length; i++) {
          if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
            fail(name + "[" + i + "] differs: " + u[i] + " vs " + v[i]);
          }
        }
      }
    }
  }

  private static List<JsonNode> metrics(Path run) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }
}
