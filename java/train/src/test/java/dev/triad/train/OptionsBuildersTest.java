package dev.triad.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig.DataOrder;
import dev.triad.train.TrainConfig.Schedule;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.rlhf.DpoOptions;
import dev.triad.train.rlhf.GrpoOptions;
import dev.triad.train.rlhf.PpoOptions;
import dev.triad.train.rlhf.RewardTrainingOptions;
import dev.triad.train.rlhf.Triple;
import dev.triad.train.sft.SftOptions;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The builders of TrainConfig and of every phase's Options: each setter lands in its own component
 * (every component set to a value no other has, then read back: what catches two swapped arguments),
 * toBuilder() copies every component, every component has a setter, and a bad value is refused with a
 * message naming the component and the value. That the defaults are the CLI's is CliDefaultsTest's.
 */
class OptionsBuildersTest {
  private static final Path A = Path.of("a"), B = Path.of("b"), C = Path.of("c"), D = Path.of("d");

  /** Every TrainConfig component at a value unlike any other's and unlike its default. */
  static TrainConfig distinctTrain() {
    return TrainConfig.builder().steps(11).gradAccum(12).lr(0.013f).minLrRatio(0.14f).warmupSteps(15)
        .schedule(Schedule.WSD).decayFraction(0.16f).weightDecay(0.17f).beta1(0.18f).beta2(0.19f).gradClip(2.0f)
        .evalEvery(21).sampleEvery(22).checkpointEvery(23).keepCheckpoints(24).seed(25).eps(2.6e-7f)
        .dataOrder(DataOrder.SEQUENTIAL).build();
  }

  @Test
  void trainConfigSettersLandInTheirOwnComponents() {
    TrainConfig t = distinctTrain();
    assertEquals(11, t.steps());
    assertEquals(12, t.gradAccum());
    assertEquals(0.013f, t.lr());
    assertEquals(0.14f, t.minLrRatio());
    assertEquals(15, t.warmupSteps());
    assertEquals(Schedule.WSD, t.schedule());
    assertEquals(0.16f, t.decayFraction());
    assertEquals(0.17f, t.weightDecay());
    assertEquals(0.18f, t.beta1());
    assertEquals(0.19f, t.beta2());
    assertEquals(2.0f, t.gradClip());
    assertEquals(21, t.evalEvery());
    assertEquals(22, t.sampleEvery());
    assertEquals(23, t.checkpointEvery());
    assertEquals(24, t.keepCheckpoints());
    assertEquals(25, t.seed());
    assertEquals(2.6e-7f, t.eps());
    assertEquals(DataOrder.SEQUENTIAL, t.dataOrder());
    assertEquals(t, t.toBuilder().build());
    assertEveryComponentHasASetter(TrainConfig.class, TrainConfig.Builder.class);
  }

  @Test
  void trainConfigToBuilderChangesOnlyWhatIsSet() {
    TrainConfig t = distinctTrain();
    TrainConfig u = t.toBuilder().lr(0.5f).build();
    assertEquals(0.5f, u.lr());
    assertEquals(t, u.toBuilder().lr(t.lr()).build());
  }

  @Test
  void pretrainOptions() {
    TrainConfig t = distinctTrain();
    PretrainOptions o = PretrainOptions.builder().runDir(A).dataDir(B).tokenizer("words").preset("tiny")
        .initFromHf(C).device(Device.CPU).batch(3).seqLen(5).totalBatchTokens(30).train(t).evalBatches(7).resume(true)
        .precision(Precision.BF16).build();
    assertEquals(A, o.runDir());
    assertEquals(B, o.dataDir());
    assertEquals("words", o.tokenizer());
    assertEquals("tiny", o.preset());
    assertEquals(C, o.initFromHf());
    assertEquals(Device.CPU, o.device());
    assertEquals(3, o.batch());
    assertEquals(5, o.seqLen());
    assertEquals(30, o.totalBatchTokens());
    assertEquals(t, o.train());
    assertEquals(7, o.evalBatches());
    assertTrue(o.resume());
    assertEquals(Precision.BF16, o.precision());
    assertEquals(o, o.toBuilder().build());
    assertEveryComponentHasASetter(PretrainOptions.class, PretrainOptions.Builder.class);

    // the defaults that depend on others: the tokenizer on the data, the precision on the device
    PretrainOptions.Builder b = PretrainOptions.builder().runDir(A).device(Device.CPU);
    assertEquals("byte", b.build().tokenizer());
    assertEquals("gpt2", b.dataDir(B).build().tokenizer());
    assertEquals(Precision.F32, b.build().precision());

    assertRefused(() -> PretrainOptions.builder().device(Device.CPU).build(), "pretrain: runDir must be given");
    assertRefused(() -> PretrainOptions.builder().runDir(A).device(Device.CPU).batch(0).build(),
        "pretrain: batch must be >= 1, got 0");
    assertRefused(() -> PretrainOptions.builder().runDir(A).device(Device.CPU).seqLen(-2).build(),
        "pretrain: seqLen must be >= 1, got -2");
    assertRefused(() -> PretrainOptions.builder().runDir(A).device(Device.CPU).totalBatchTokens(-1).build(),
        "pretrain: totalBatchTokens must be >= 0");
    assertRefused(() -> PretrainOptions.builder().runDir(A).device(Device.CPU).evalBatches(0).build(),
        "pretrain: evalBatches must be >= 1, got 0");
    assertRefused(() -> PretrainOptions.builder().runDir(A).device(Device.CPU).train(null).build(),
        "pretrain: train must be given");
  }

  @Test
  void sftOptions() {
    TrainConfig t = distinctTrain();
    SftOptions o = SftOptions.builder().runDir(A).baseRun(B).dataFile(C).device(Device.CPU).batch(3).seqLen(5)
        .pack(false).train(t).evalPerFamily(7).resume(true).checkOnly(true).precision(Precision.BF16).build();
    assertEquals(A, o.runDir());
    assertEquals(B, o.baseRun());
    assertEquals(C, o.dataFile());
    assertEquals(Device.CPU, o.device());
    assertEquals(3, o.batch());
    assertEquals(5, o.seqLen());
    assertTrue(!o.pack());
    assertEquals(t, o.train());
    assertEquals(7, o.evalPerFamily());
    assertTrue(o.resume());
    assertTrue(o.checkOnly());
    assertEquals(Precision.BF16, o.precision());
    assertEquals(o, o.toBuilder().build());
    assertEveryComponentHasASetter(SftOptions.class, SftOptions.Builder.class);

    assertRefused(() -> SftOptions.builder().runDir(A).device(Device.CPU).build(), "sft: baseRun must be given");
    assertRefused(() -> SftOptions.builder().runDir(A).baseRun(B).device(Device.CPU).seqLen(1).build(),
        "sft: seqLen must be >= 2, got 1");
    assertRefused(() -> SftOptions.builder().runDir(A).baseRun(B).device(Device.CPU).evalPerFamily(-1).build(),
        "sft: evalPerFamily must be >= 0");
  }

  @Test
  void rewardOptions() {
    TrainConfig t = distinctTrain();
    RewardTrainingOptions o = RewardTrainingOptions.builder().runDir(A).baseRun(B).dataFile(C).device(Device.CPU)
        .batch(3).seqLen(5).margin(0.25f).train(t).resume(true).precision(Precision.BF16).build();
    assertEquals(A, o.runDir());
    assertEquals(B, o.baseRun());
    assertEquals(C, o.dataFile());
    assertEquals(Device.CPU, o.device());
    assertEquals(3, o.batch());
    assertEquals(5, o.seqLen());
    assertEquals(0.25f, o.margin());
    assertEquals(t, o.train());
    assertTrue(o.resume());
    assertEquals(Precision.BF16, o.precision());
    assertEquals(o, o.toBuilder().build());
    assertEveryComponentHasASetter(RewardTrainingOptions.class, RewardTrainingOptions.Builder.class);

    assertRefused(() -> RewardTrainingOptions.builder().runDir(A).baseRun(B).device(Device.CPU).margin(Float.NaN)
        .build(), "reward: margin must be a finite number, got NaN");
    assertRefused(() -> RewardTrainingOptions.builder().runDir(A).baseRun(B).device(Device.CPU).batch(-3).build(),
        "reward: batch must be >= 1, got -3");
  }

  @Test
  void dpoOptions() {
    TrainConfig t = distinctTrain();
    List<Triple> train = List.of(new Triple(new int[] {1}, new int[] {2}, new int[] {3}));
    List<Triple> heldOut = List.of(new Triple(new int[] {4}, new int[] {5}, new int[] {6}));
    DpoOptions o = DpoOptions.builder().runDir(A).baseRun(B).device(Device.CPU).batch(3).beta(0.25f).train(t)
        .resume(true).trainPairs(train).heldOutPairs(heldOut).data("some pairs").evalPrompts(7)
        .precision(Precision.BF16).build();
    assertEquals(A, o.runDir());
    assertEquals(B, o.baseRun());
    assertEquals(Device.CPU, o.device());
    assertEquals(3, o.batch());
    assertEquals(0.25f, o.beta());
    assertEquals(t, o.train());
    assertTrue(o.resume());
    assertEquals(train, o.trainPairs());
    assertEquals(heldOut, o.heldOutPairs());
    assertEquals("some pairs", o.data());
    assertEquals(7, o.evalPrompts());
    assertEquals(Precision.BF16, o.precision());
    assertEquals(o, o.toBuilder().build());
    assertEveryComponentHasASetter(DpoOptions.class, DpoOptions.Builder.class);

    assertRefused(() -> DpoOptions.builder().runDir(A).baseRun(B).device(Device.CPU).build(),
        "dpo: trainPairs must be given");
    assertRefused(() -> DpoOptions.builder().runDir(A).baseRun(B).device(Device.CPU).trainPairs(train).beta(0f)
        .build(), "dpo: beta must be a finite number > 0, got 0.0");
    assertRefused(() -> DpoOptions.builder().runDir(A).baseRun(B).device(Device.CPU).trainPairs(train)
        .evalPrompts(-1).build(), "dpo: evalPrompts must be >= 0, got -1");
  }

  @Test
  void grpoOptions() {
    TrainConfig t = distinctTrain();
    GrpoOptions o = GrpoOptions.builder().runDir(A).policyRun(B).rewardRun(C).device(Device.CPU).prompts(3)
        .group(5).maxNewTokens(7).beta(0.25f).clipEps(0.125f).evalPrompts(9).train(t).resume(true)
        .precision(Precision.BF16).build();
    assertEquals(A, o.runDir());
    assertEquals(B, o.policyRun());
    assertEquals(C, o.rewardRun());
    assertEquals(Device.CPU, o.device());
    assertEquals(3, o.prompts());
    assertEquals(5, o.group());
    assertEquals(7, o.maxNewTokens());
    assertEquals(0.25f, o.beta());
    assertEquals(0.125f, o.clipEps());
    assertEquals(9, o.evalPrompts());
    assertEquals(t, o.train());
    assertTrue(o.resume());
    assertEquals(Precision.BF16, o.precision());
    assertEquals(o, o.toBuilder().build());
    assertEveryComponentHasASetter(GrpoOptions.class, GrpoOptions.Builder.class);

    Supplier<GrpoOptions.Builder> ok = () -> GrpoOptions.builder().runDir(A).policyRun(B).rewardRun(C)
        .device(Device.CPU);
    assertRefused(() -> GrpoOptions.builder().runDir(A).policyRun(B).device(Device.CPU).build(),
        "grpo: rewardRun must be given");
    assertRefused(() -> ok.get().group(1).build(), "grpo: group must be >= 2");
    assertRefused(() -> ok.get().clipEps(1f).build(), "grpo: clipEps must be in (0, 1), got 1.0");
    assertRefused(() -> ok.get().beta(-0.5f).build(), "grpo: beta must be a finite number >= 0, got -0.5");
    assertRefused(() -> ok.get().evalPrompts(0).build(), "grpo: evalPrompts must be >= 1, got 0");
  }

  @Test
  void ppoOptions() {
    PpoOptions o = PpoOptions.builder().runDir(A).policyRun(B).rewardRun(C).device(Device.CPU).steps(3).batch(11)
        .miniBatch(5).epochs(7).lr(1e-3f).beta(0.125f).targetKl(3.5f).adaptiveKl(false).klHorizon(777)
        .clipEps(0.15f).valueClipEps(0.35f).vfCoef(0.45f).entCoef(0.055f).gamma(0.99).lambda(0.9).maxNewTokens(13)
        .gradClip(2.5f).evalPrompts(17).seed(29).resume(true).checkpointEvery(19).keepCheckpoints(23)
        .precision(Precision.BF16).beta1(0.8f).beta2(0.85f).eps(1e-6f).dataOrder(DataOrder.SEQUENTIAL).build();
    assertEquals(A, o.runDir());
    assertEquals(B, o.policyRun());
    assertEquals(C, o.rewardRun());
    assertEquals(Device.CPU, o.device());
    assertEquals(3, o.steps());
    assertEquals(11, o.batch());
    assertEquals(5, o.miniBatch());
    assertEquals(7, o.epochs());
    assertEquals(1e-3f, o.lr());
    assertEquals(0.125f, o.beta());
    assertEquals(3.5f, o.targetKl());
    assertTrue(!o.adaptiveKl());
    assertEquals(777.0, o.klHorizon());
    assertEquals(0.15f, o.clipEps());
    assertEquals(0.35f, o.valueClipEps());
    assertEquals(0.45f, o.vfCoef());
    assertEquals(0.055f, o.entCoef());
    assertEquals(0.99, o.gamma());
    assertEquals(0.9, o.lambda());
    assertEquals(13, o.maxNewTokens());
    assertEquals(2.5f, o.gradClip());
    assertEquals(17, o.evalPrompts());
    assertEquals(29, o.seed());
    assertTrue(o.resume());
    assertEquals(19, o.checkpointEvery());
    assertEquals(23, o.keepCheckpoints());
    assertEquals(Precision.BF16, o.precision());
    assertEquals(0.8f, o.beta1());
    assertEquals(0.85f, o.beta2());
    assertEquals(1e-6f, o.eps());
    assertEquals(DataOrder.SEQUENTIAL, o.dataOrder());
    assertEquals(o, o.toBuilder().build());
    assertEveryComponentHasASetter(PpoOptions.class, PpoOptions.Builder.class);

    // the settings PPO shares with the other phases default as theirs
    PpoOptions d = PpoOptions.builder().runDir(A).policyRun(B).rewardRun(C).device(Device.CPU).build();
    TrainConfig shared = TrainConfig.builder().build();
    assertEquals(shared.seed(), d.seed());
    assertEquals(shared.beta1(), d.beta1());
    assertEquals(shared.beta2(), d.beta2());
    assertEquals(shared.eps(), d.eps());
    assertEquals(shared.dataOrder(), d.dataOrder());

    Supplier<PpoOptions.Builder> ok = () -> PpoOptions.builder().runDir(A).policyRun(B).rewardRun(C)
        .device(Device.CPU);
    assertRefused(() -> ok.get().batch(4).miniBatch(5).build(), "ppo: miniBatch must be in [1, batch = 4], got 5");
    assertRefused(() -> ok.get().gamma(0).build(), "ppo: gamma must be in (0, 1], got 0.0");
    assertRefused(() -> ok.get().lambda(1.5).build(), "ppo: lambda must be in [0, 1], got 1.5");
    assertRefused(() -> ok.get().vfCoef(-1f).build(), "ppo: vfCoef must be >= 0, got -1.0");
    assertRefused(() -> ok.get().beta2(1f).build(), "ppo: beta2 must be in [0, 1), got 1.0");
    assertRefused(() -> ok.get().checkpointEvery(0).build(), "ppo: checkpointEvery must be >= 1, got 0");
  }

  /** A record component without a setter of its name and type could only be set by the positional constructor. */
  private static void assertEveryComponentHasASetter(Class<?> record, Class<?> builder) {
    for (RecordComponent c : record.getRecordComponents()) {
      try {
        Method m = builder.getMethod(c.getName(), c.getType());
        // the shared setters (PhaseBuilder's and its abstract subclasses') return the phase's builder
        // through their type parameter B, which erases to the class declaring it
        if (m.getDeclaringClass() == builder) {
          assertEquals(builder, m.getReturnType(), c.getName());
        } else {
          assertTrue(m.getGenericReturnType() instanceof java.lang.reflect.TypeVariable<?>, c.getName());
          assertTrue(m.getDeclaringClass().isAssignableFrom(builder), c.getName());
        }
      } catch (NoSuchMethodException e) {
        throw new AssertionError(builder.getName() + " has no setter " + c.getName() + "(" + c.getType().getSimpleName()
            + ")");
      }
    }
  }

  private static void assertRefused(Runnable build, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run, fragment);
    assertTrue(e.getMessage().contains(fragment), "message lacks '" + fragment + "': " + e.getMessage());
  }
}
