package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.profile.MemoryPlan;
import dev.triad.profile.PlanCheck;
import dev.triad.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code triad plan} and the plan check of the training commands. */
class PlanCliTest {
  @TempDir Path tmp;

  @Test
  void planPrintsEveryPartTheVerdictAndTheLargestBatch() {
    PretrainCliTest.Run r = PretrainCliTest.run("plan", "--model", "tiny", "--vocab", "256", "--batch", "4", "--seq",
        "64", "--device", "cpu");
    assertEquals(0, r.exit(), r.toString());
    for (String part : new String[] {"parameters", "gradients", "optimizer state", "activations / layer", "activations",
        "activation gradients", "classifier", "largest transient", "peak", "available"}) {
      assertTrue(r.out().contains("  " + part + " "), part + " missing in\n" + r);
    }
    assertTrue(r.out().matches("(?s).*\\bfits; the largest batch that fits: \\d+.*"), r.toString());
    assertFalse(r.out().contains("master weights"), "f32 has no master copy\n" + r);
    // the figure printed is the plan's
    long peak = MemoryPlan.of(new MemoryPlan.Spec(GptConfig.preset("tiny", 256), false, 4, 64, Precision.F32,
        MemoryPlan.Phase.PRETRAIN, Device.CPU, 1, 0)).peakBytes();
    assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "%,d", peak)), r.toString());

    PretrainCliTest.Run ppo = PretrainCliTest.run("plan", "--model", "small", "--phase", "ppo", "--precision", "bf16",
        "--batch", "2");
    assertEquals(0, ppo.exit(), ppo.toString());
    for (String part : new String[] {"master weights", "KV cache (rollouts)", "reference model", "reward model",
        "value model"}) {
      assertTrue(ppo.out().contains(part), part + " missing in\n" + ppo);
    }
  }

  @Test
  void badPlanArgumentsGiveOneLineErrors() {
    String[][] bad = {{"--batch", "x"}, {"--phase", "rlhf"}, {"--precision", "f16"}, {"--device", "tpu"},
        {"--model", "gpt5"}, {"--seq", "5000"}, {"--batch", "0"}, {"--n-head", "7"}, {"--frobnicate"}};
    for (String[] args : bad) {
      String[] full = new String[args.length + 1];
      full[0] = "plan";
      System.arraycopy(args, 0, full, 1, args.length);
      PretrainCliTest.Run r = PretrainCliTest.run(full);
      assertNotEquals(0, r.exit(), String.join(" ", args) + ": " + r);
      assertEquals(1, r.err().strip().lines().count(), String.join(" ", args) + ": " + r);
      assertTrue(r.err().startsWith("triad plan: "), r.toString());
      assertEquals("", r.out(), r.toString());
    }
  }

  @Test
  void pretrainRefusesAPlanThatCannotFitAndNoPlanCheckSkipsTheCheck() {
    Path out = tmp.resolve("xl");
    PretrainCliTest.Run r = PretrainCliTest.run("pretrain", "--model", "gpt2-xl", "--batch", "512", "--seq", "1024",
        "--device", "cpu", "--out", out.toString(), "--steps", "1");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().startsWith("triad pretrain: memory plan: this pretrain run needs "), r.toString());
    assertTrue(r.err().contains("DOES NOT FIT") && r.err().contains("activation gradients")
        && r.err().contains("--no-plan-check"), r.toString());
    assertFalse(Files.exists(out.resolve("config.json")), "refused before writing the run");

    // past the check, the run fails on its (missing) data instead: nothing was planned or allocated
    try {
      PretrainCliTest.Run skipped = PretrainCliTest.run("pretrain", "--model", "gpt2-xl", "--batch", "512", "--seq",
          "1024", "--device", "cpu", "--out", tmp.resolve("xl2").toString(), "--steps", "1", "--data",
          tmp.resolve("no-such-dir").toString(), "--no-plan-check");
      assertEquals(1, skipped.exit(), skipped.toString());
      assertFalse(skipped.err().contains("memory plan"), skipped.toString());
      assertTrue(skipped.err().contains("no-such-dir"), skipped.toString());
    } finally {
      PlanCheck.enable();
    }
  }

  @Test
  void aWholeTinyPretrainRunStaysWithinItsPlan() {
    Device cpu = Device.CPU;
    long before = cpu.liveBytes();
    cpu.resetPeak();
    PretrainCliTest.Run r = PretrainCliTest.pretrainTiny(tmp.resolve("tiny"));
    assertEquals(0, r.exit(), r.toString());
    long measured = cpu.peakLiveBytes() - before;
    // the byte tokenizer's vocabulary, batch 2 x 16 tokens as pretrainTiny runs it (eval included)
    int vocab = dev.triad.data.Tokenizer.byName("byte").vocabSize();
    long planned = MemoryPlan.of(new MemoryPlan.Spec(GptConfig.preset("tiny", vocab), false, 2, 16, Precision.F32,
        MemoryPlan.Phase.PRETRAIN, Device.CPU, 1, 0)).peakBytes();
    double rel = (planned - measured) / (double) measured;
    assertTrue(rel >= -0.001 && rel <= 0.01, "planned " + planned + " vs measured " + measured);
  }
}
