package dev.triad.cli;

import dev.triad.train.rlhf.DpoOptions;

import dev.triad.train.rlhf.Dpo;
import dev.triad.train.rlhf.DpoData;
import dev.triad.train.rlhf.PolicyEval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.data.Tokenizer;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.PreferencePair;
import dev.triad.data.chat.ChatTemplate;
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
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DPO end to end on a tiny SFT base (a few pretraining and SFT steps of the tiny preset, byte
 * tokenizer): held-out preference accuracy and reward margin rise from their step-0 values (0: the
 * policy is the reference), config.json and dpo_eval.json say what happened, and a run interrupted
 * and resumed ends bit-identical to a straight one (CPU kernels are deterministic).
 */
class DpoTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static Path sft;
  private static DpoData.Pairs pairs;

  @BeforeAll
  static void tinySftBase() {
    Path pre = tmp.resolve("pretrain");
    TrainConfig pt = TrainConfig.builder().steps(20).lr(3e-3f).warmupSteps(2).evalEvery(0).sampleEvery(0)
        .checkpointEvery(20).keepCheckpoints(1).seed(7).build();
    Pretrain.run(PretrainOptions.builder().runDir(pre).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(4 * 64).train(pt).evalBatches(1).build());
    sft = tmp.resolve("sft");
    TrainConfig st = TrainConfig.builder().steps(20).lr(2e-3f).warmupSteps(2).weightDecay(0.0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(20).keepCheckpoints(1).seed(7).build();
    Sft.run(SftOptions.builder().runDir(sft).baseRun(pre).device(Device.CPU).batch(4).seqLen(128).pack(true)
        .train(st).evalPerFamily(0).build());
    ChatTemplate template = new ChatTemplate(Tokenizer.byName("byte"));
    // the concise and polite pairs of the embedded data: rules a tiny model can learn in a few steps
    // (telling a right answer from a wrong one needs a model that can do the task)
    var split = PreferenceData.defaultSplit(7);
    pairs = new DpoData.Pairs(DpoData.triples(template, easy(split.train(), 96)),
        DpoData.triples(template, easy(split.heldOut(), 32)));
  }

  /** n pairs evenly spaced over the easy ones (held-out pairs are grouped by family, weather first). */
  private static java.util.List<PreferencePair> easy(java.util.List<PreferencePair> all, int n) {
    var easy = all.stream().filter(p -> PreferenceData.ruleOf(p) != PreferenceData.Rule.CORRECT).toList();
    return dev.triad.data.EvenlySpaced.pick(easy, n);
  }

  private static DpoOptions options(Path out, int steps, int warmup, boolean resume) {
    TrainConfig t = TrainConfig.builder().steps(steps).lr(5e-4f).warmupSteps(warmup).weightDecay(0.0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(steps).keepCheckpoints(10).seed(11).build();
    return DpoOptions.builder().runDir(out).baseRun(sft).device(Device.CPU).batch(4).beta(0.1f).train(t)
        .resume(resume).trainPairs(pairs.train()).heldOutPairs(pairs.heldOut()).data("test pairs").evalPrompts(0)
        .build();
  }

  @Test
  void heldOutAccuracyAndMarginRise() throws IOException {
    Path out = tmp.resolve("dpo");
    long liveBytes = Device.CPU.liveBytes();
    DpoOptions base = options(out, 16, 2, false);
    Dpo.Result r = Dpo.run(DpoOptions.builder().runDir(base.runDir()).baseRun(base.baseRun()).device(base.device())
        .batch(base.batch()).beta(base.beta()).train(base.train()).trainPairs(base.trainPairs())
        .heldOutPairs(base.heldOutPairs()).data(base.data()).evalPrompts(8).build());
    assertEquals(liveBytes, Device.CPU.liveBytes(), "native memory left behind by a DPO run");
    assertNotNull(r.before());
    assertNotNull(r.after());
    // step 0: the policy is the reference, evaluated in the same batches: every z is exactly 0
    assertEquals(0.0, r.before().margin(), 0.0, "margin before training");
    assertEquals(0.0, r.before().accuracy(), 0.0, "no pair is ranked strictly right before training");
    assertEquals(Math.log(2), r.before().loss(), 1e-6);
    assertTrue(r.after().margin() > 0.5, "held-out margin " + r.before() + " -> " + r.after());
    assertTrue(r.after().accuracy() >= 0.9, "held-out accuracy " + r.before() + " -> " + r.after());
    assertTrue(r.after().loss() < 0.5, "held-out DPO loss " + r.before() + " -> " + r.after());
    assertTrue(r.training().lastValLoss() < r.training().firstValLoss());
    // the policy's sampled replies to 8 held-out prompts, 4 each, rule-scored before and after
    assertEquals(8, r.policyBefore().prompts());
    assertEquals(8 * PolicyEval.SAMPLES, r.policyAfter().replies());
    assertEquals(0.0, r.policyBefore().kl());
    assertTrue(Double.isFinite(r.policyAfter().ruleScore()) && r.policyAfter().kl() >= 0, r.policyAfter().toString());

    JsonNode eval = JSON.readTree(out.resolve("dpo_eval.json").toFile());
    assertEquals(r.after().accuracy(), eval.get("after").get("accuracy").asDouble(), 1e-12);
    assertEquals(r.after().margin(), eval.get("after").get("margin").asDouble(), 1e-12);
    assertEquals(0.0, eval.get("before").get("accuracy").asDouble());
    assertEquals(((Number) RunInfo.read(out).settings().get("held_out_pairs")).intValue(),
        eval.get("held_out_pairs").asInt());
    assertTrue(eval.get("held_out_pairs").asInt() >= 16, "too few held-out pairs fit the context: " + eval);

    RunInfo info = RunInfo.read(out);
    assertEquals("dpo", info.phase());
    assertEquals(ChatTemplate.VERSION, info.settings().get("chat_template"));
    assertEquals(sft.toString(), info.settings().get("base_run"));
    assertEquals(0.1, ((Number) info.settings().get("beta")).doubleValue(), 1e-6);
    assertEquals(RunInfo.read(sft).vocabSize(), info.vocabSize());

    List<JsonNode> lines = metrics(out);
    JsonNode last = lines.get(lines.size() - 1);
    for (String key : new String[] {"rewards/chosen", "rewards/rejected", "margin", "accuracy", "val_loss"}) {
      assertTrue(last.has(key), key + " missing in " + last);
    }
    assertEquals(last.get("rewards/chosen").asDouble() - last.get("rewards/rejected").asDouble(),
        last.get("margin").asDouble(), 1e-9);
  }

  @Test
  void resumedRunIsBitIdenticalToAStraightRun() throws IOException {
    int n = 3;
    Path a = tmp.resolve("straight");
    Path b = tmp.resolve("resumed");
    Dpo.run(options(a, 2 * n, n, false));
    Dpo.run(options(b, n, n, false));
    Dpo.Result rb = Dpo.run(options(b, 2 * n, n, true));
    assertEquals(null, rb.before(), "a resumed run has no step-0 evaluation");
    Path ca = a.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 2 * n));
    Path cb = b.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 2 * n));
    try (SafetensorsFile fa = Safetensors.open(ca); SafetensorsFile fb = Safetensors.open(cb)) {
      assertEquals(new TreeMap<>(fa.metadata()), new TreeMap<>(fb.metadata()));
      assertEquals(new TreeSet<>(fa.names()), new TreeSet<>(fb.names()));
      for (String name : fa.names()) {
        float[] u = fa.readFloats(name), v = fb.readFloats(name);
        for (int i = 0; i < u.length; i++) {
          if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
            fail(name + "[" + i + "] differs: " + u[i] + " (straight) vs " + v[i] + " (resumed)");
          }
        }
      }
    }
    List<JsonNode> la = metrics(a), lb = metrics(b);
    assertEquals(la.size(), lb.size());
    for (int i = 0; i < la.size(); i++) {
      for (String key : new String[] {"loss", "grad_norm", "margin", "accuracy"}) {
        if (la.get(i).has(key)) {
          assertEquals(la.get(i).get(key).asDouble(), lb.get(i).get(key).asDouble(), 0.0, "step " + i + " " + key);
        }
      }
    }
    // a fresh run refuses a directory with checkpoints
    assertThrows(IllegalArgumentException.class, () -> Dpo.run(options(b, 2 * n, n, false)));
  }

  @Test
  void refusesABaseThatIsNotAnSftRun() {
    Path pre = tmp.resolve("pretrain");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dpo.run(DpoOptions.builder().runDir(tmp.resolve("bad")).baseRun(pre).device(Device.CPU).batch(2)
            .beta(0.1f).train(options(pre, 1, 0, false).train()).trainPairs(pairs.train())
            .heldOutPairs(pairs.heldOut()).data("x").evalPrompts(0).build()));
    assertTrue(e.getMessage().contains("not an instruction-tuned run"), e.getMessage());
  }

  @Test
  void cliRunsOnBuiltInPairsAndNamesTheBadLineOfADataFile() throws IOException {
    Path out = tmp.resolve("cli");
    java.io.PrintStream oldOut = System.out;
    java.io.PrintStream oldErr = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    try (java.io.PrintStream quiet = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        java.io.PrintStream capture = new java.io.PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(quiet);
      System.setErr(capture);
      assertEquals(0, dev.triad.cli.Main.run("dpo", "--base", sft.toString(), "--out", out.toString(), "--steps", "2",
          "--pairs", "12", "--held-out", "6", "--batch", "2", "--beta", "0.2", "--lr", "1e-4", "--device", "cpu"));
      Path bad = tmp.resolve("bad.jsonl");
      Files.writeString(bad, "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}\n{\"prompt\": \"p\"}\n");
      assertEquals(1, dev.triad.cli.Main.run("dpo", "--base", sft.toString(), "--out", tmp.resolve("cli2").toString(),
          "--data", bad.toString(), "--device", "cpu"));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    assertTrue(Files.exists(out.resolve("dpo_eval.json")));
    RunInfo info = RunInfo.read(out);
    assertEquals(0.2, ((Number) info.settings().get("beta")).doubleValue(), 1e-6);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("triad dpo: " + tmp.resolve("bad.jsonl") + ":2: field \"chosen\" is missing"), e);
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
