package dev.triad.train.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.profile.Profiler;
import dev.triad.tensor.Device;
import dev.triad.train.Checkpoints;
import dev.triad.train.RunInfo;
import dev.triad.train.TrainConfig;
import dev.triad.train.pretrain.Pretrain;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.sft.Sft;
import dev.triad.train.sft.SftOptions;
import java.io.IOException;
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
 * PPO end to end on tiny pretrain -> SFT -> reward bases: a few steps run and ppo_eval.json is
 * finite, and a run interrupted and resumed ends bit-identical to a straight one.
 */
class PpoTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static Path sft;
  private static Path reward;

  @BeforeAll
  static void bases() {
    Path pre = tmp.resolve("pretrain");
    TrainConfig pt = TrainConfig.builder().steps(8).lr(3e-3f).warmupSteps(2).weightDecay(0.0f).evalEvery(0)
        .sampleEvery(0).checkpointEvery(8).keepCheckpoints(1).seed(1).build();
    Pretrain.run(PretrainOptions.builder().runDir(pre).tokenizer("byte").preset("tiny").device(Device.CPU).batch(4)
        .seqLen(64).totalBatchTokens(4 * 64).train(pt).evalBatches(1).build());
    sft = tmp.resolve("sft");
    TrainConfig st = TrainConfig.builder().steps(4).warmupSteps(1).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(4).keepCheckpoints(1).seed(1).build();
    Sft.run(SftOptions.builder().runDir(sft).baseRun(pre).device(Device.CPU).batch(4).seqLen(128).pack(true)
        .train(st).evalPerFamily(0).build());
    reward = tmp.resolve("reward");
    TrainConfig rt = TrainConfig.builder().steps(4).warmupSteps(1).weightDecay(0.0f).evalEvery(0).sampleEvery(0)
        .checkpointEvery(4).keepCheckpoints(1).seed(1).build();
    RewardTraining.run(RewardTrainingOptions.builder().runDir(reward).baseRun(sft).device(Device.CPU).batch(4)
        .seqLen(128).margin(0f).train(rt).build());
  }

  private static PpoOptions options(Path out, boolean resume) {
    return options(out, 3, resume);
  }

  private static PpoOptions options(Path out, int steps, boolean resume) {
    return PpoOptions.builder().runDir(out).policyRun(sft).rewardRun(reward).device(Device.CPU).steps(steps).batch(4)
        .miniBatch(2).epochs(2).lr(1e-4f).beta(0.05f).targetKl(6f).adaptiveKl(true).klHorizon(10000).clipEps(0.2f)
        .valueClipEps(0.2f).vfCoef(0.1f).entCoef(0.01f).gamma(1.0).lambda(0.95).maxNewTokens(8).gradClip(1.0f)
        .evalPrompts(4).seed(3).resume(resume).checkpointEvery(1).keepCheckpoints(2).build();
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
    assertEquals(2, new Checkpoints(out, 1).list().size(), "keep-last-2 pruning");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ppo.run(options(out, false)));
    assertTrue(e.getMessage().contains("already holds checkpoints"), e.getMessage());
    Path empty = tmp.resolve("ppo-empty");
    e = assertThrows(IllegalArgumentException.class, () -> Ppo.run(options(empty, true)));
    assertTrue(e.getMessage().contains("no checkpoint"), e.getMessage());
  }

  /** 4 straight steps equal 2 steps resumed to 4: policy, critic, both optimizers, metadata and metrics. */
  @Test
  void resumedRunIsBitIdenticalToAStraightRun() throws IOException {
    Path a = tmp.resolve("ppo-straight");
    Path b = tmp.resolve("ppo-resumed");
    Ppo.run(options(a, 4, false));
    Ppo.run(options(b, 2, false));
    Ppo.Result rb = Ppo.run(options(b, 4, true));
    assertNull(rb.before(), "a resumed run has no before-evaluation");
    assertEquals(2, rb.steps().size());
    Path ca = a.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 4));
    Path cb = b.resolve("checkpoints").resolve(String.format("step_%08d.safetensors", 4));
    try (SafetensorsFile fa = Safetensors.open(ca); SafetensorsFile fb = Safetensors.open(cb)) {
      assertEquals(new TreeMap<>(fa.metadata()), new TreeMap<>(fb.metadata()));
      assertEquals(new TreeSet<>(fa.names()), new TreeSet<>(fb.names()));
      assertTrue(fa.names().stream().anyMatch(n -> n.startsWith(Ppo.CRITIC + "model.")), "critic tensors");
      assertTrue(fa.names().stream().anyMatch(n -> n.startsWith(Ppo.CRITIC + "adam_v.")), "critic moments");
      for (String name : fa.names()) {
        float[] u = fa.readFloats(name), v = fb.readFloats(name);
        assertEquals(u.length, v.length, name);
        for (int i = 0; i < u.length; i++) {
          if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
            fail(name + "[" + i + "] differs: " + u[i] + " (straight) vs " + v[i] + " (resumed)");
          }
        }
      }
    }
    List<String> la = metricLines(a), lb = metricLines(b);
    assertEquals(4, la.size());
    assertEquals(la, lb, "metrics.jsonl (timings left out)");
    JsonNode ea = JSON.readTree(a.resolve(Ppo.REPORT).toFile());
    JsonNode eb = JSON.readTree(b.resolve(Ppo.REPORT).toFile());
    assertEquals(ea.get("reward_after").asDouble(), eb.get("reward_after").asDouble(), 0.0);
    assertEquals(ea.get("kl_final").asDouble(), eb.get("kl_final").asDouble(), 0.0);
    RunInfo.loadModel(b, null, Device.CPU).close();
    assertThrows(IllegalArgumentException.class, () -> Ppo.run(options(b, 4, false)));
  }

  @Test
  void profiledAndTracedLikeAStraightRun() throws IOException {
    Path plain = tmp.resolve("ppo-plain"), profiled = tmp.resolve("ppo-profiled"), trace = tmp.resolve("ppo.json");
    Ppo.run(options(plain, 2, false));
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    try {
      Profiler.enableProfile();
      Profiler.enableTrace(trace, 2, 2);
      System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
      Ppo.run(options(profiled, 2, false));
    } finally {
      System.setOut(stdout);
      Profiler.reset();
    }
    String out = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(metricLines(plain), metricLines(profiled), "profiling changed the run");
    // the in-step phases of PPO, each with a positive time
    for (String phase : List.of("generation", "reward scoring", "forward", "backward", "optimizer", "data")) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^  " + phase + " +(\\d+) +([0-9.]+) ")
          .matcher(out);
      assertTrue(m.find(), phase + " missing:\n" + out);
      assertTrue(phase.equals("data") || Double.parseDouble(m.group(2)) > 0, phase + " took no time:\n" + out);
    }
    assertTrue(out.contains("attentionDecode fwd") && out.contains("linear bwd"), out);
    JsonNode events = JSON.readTree(trace.toFile()).get("traceEvents");
    TreeSet<String> steps = new TreeSet<>(), phases = new TreeSet<>();
    for (JsonNode e : events) {
      if (e.get("cat").asText().equals("step")) {
        steps.add(e.get("name").asText());
      } else if (e.get("cat").asText().equals("phase")) {
        phases.add(e.get("name").asText());
      }
    }
    assertEquals(new TreeSet<>(List.of("step 2")), steps);
    assertTrue(phases.containsAll(List.of("generation", "reward scoring", "forward", "backward", "optimizer")),
        phases.toString());
  }

  /** The metrics lines without the wall-clock throughput fields (and the MFU derived from them). */
  private static List<String> metricLines(Path run) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      ObjectNode n = (ObjectNode) JSON.readTree(line);
      n.remove(List.of("gen_tokens_per_s", "train_tokens_per_s", "mfu"));
      out.add(JSON.writeValueAsString(n));
    }
    return out;
  }
}
