package dev.triad.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.TrainConfig.DataOrder;
import dev.triad.train.TrainConfig.Schedule;
import dev.triad.train.pretrain.PretrainOptions;
import dev.triad.train.rlhf.DpoData;
import dev.triad.train.rlhf.DpoOptions;
import dev.triad.train.rlhf.GrpoOptions;
import dev.triad.train.rlhf.PpoOptions;
import dev.triad.train.rlhf.RewardTrainingOptions;
import dev.triad.train.rlhf.Triple;
import dev.triad.train.sft.SftOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Each training command's options against its phase's builder: with no option given the command asks
 * for exactly {@code XOptions.builder()}'s defaults (the CLI has no defaults of its own, only its
 * run directories), and with every option given, each lands in its own setting (distinct values, so
 * two swapped options fail).
 */
class CliDefaultsTest {
  /** The options every training command shares, each at a value unlike its default. */
  private static final String SHARED = "--steps 7 --seed 11 --beta1 0.8 --beta2 0.9 --eps 1e-7 --data-order sequential"
      + " --device cpu --precision f32 --out o ";

  private static <T> T parse(T command, String args) {
    new CommandLine(command).parseArgs(args.isEmpty() ? new String[0] : args.split(" "));
    return command;
  }

  /** The shared options' values in a TrainConfig builder. */
  private static TrainConfig.Builder shared(TrainConfig.Builder b) {
    return b.steps(7).seed(11).beta1(0.8f).beta2(0.9f).eps(1e-7f).dataOrder(DataOrder.SEQUENTIAL);
  }

  @Test
  void pretrain() {
    assertEquals(PretrainOptions.builder().runDir(Path.of("runs/pretrain")).build(),
        parse(new PretrainCommand(), "").options());
    // and the pretrain defaults are TrainConfig's own
    assertEquals(TrainConfig.builder().build(), parse(new PretrainCommand(), "").options().train());

    PretrainOptions given = parse(new PretrainCommand(), SHARED + "--batch 3 --seq 17 --total-batch 102 --lr 0.002"
        + " --min-lr-ratio 0.3 --warmup 4 --schedule wsd --decay-fraction 0.4 --weight-decay 0.05 --grad-clip 0.5"
        + " --eval-every 9 --eval-batches 5 --sample-every 13 --checkpoint-every 6 --keep 3 --model tiny"
        + " --tokenizer words --data d --init-hf h --resume").options();
    TrainConfig train = shared(TrainConfig.builder()).lr(0.002f).minLrRatio(0.3f).warmupSteps(4)
        .schedule(Schedule.WSD).decayFraction(0.4f).weightDecay(0.05f).gradClip(0.5f).evalEvery(9).sampleEvery(13)
        .checkpointEvery(6).keepCheckpoints(3).build();
    assertEquals(PretrainOptions.builder().runDir(Path.of("o")).dataDir(Path.of("d")).tokenizer("words")
        .preset("tiny").initFromHf(Path.of("h")).device(Device.CPU).batch(3).seqLen(17).totalBatchTokens(102)
        .train(train).evalBatches(5).resume(true).precision(Precision.F32).build(), given);
  }

  @Test
  void sft() {
    assertEquals(SftOptions.builder().runDir(Path.of("runs/sft")).baseRun(Path.of("runs/pretrain")).build(),
        parse(new SftCommand(), "").options());

    SftOptions given = parse(new SftCommand(), SHARED + "--base b --data d.jsonl --no-packing --batch 3 --seq 17"
        + " --lr 0.002 --warmup 4 --eval-every 9 --checkpoint-every 6 --eval-per-family 5 --check").options();
    TrainConfig train = shared(SftOptions.builder().train().toBuilder()).lr(0.002f).warmupSteps(4).evalEvery(9)
        .checkpointEvery(6).build();
    assertEquals(SftOptions.builder().runDir(Path.of("o")).baseRun(Path.of("b")).dataFile(Path.of("d.jsonl"))
        .device(Device.CPU).batch(3).seqLen(17).pack(false).train(train).evalPerFamily(5).checkOnly(true)
        .precision(Precision.F32).build(), given);
  }

  @Test
  void reward() {
    assertEquals(RewardTrainingOptions.builder().runDir(Path.of("runs/reward")).baseRun(Path.of("runs/sft")).build(),
        parse(new RewardCommand(), "").options());

    RewardTrainingOptions given = parse(new RewardCommand(), SHARED + "--base b --data d.jsonl --batch 3 --seq 17"
        + " --lr 0.002 --margin 0.3 --warmup 4 --eval-every 9 --checkpoint-every 6 --resume").options();
    TrainConfig train = shared(RewardTrainingOptions.builder().train().toBuilder()).lr(0.002f).warmupSteps(4)
        .evalEvery(9).checkpointEvery(6).build();
    assertEquals(RewardTrainingOptions.builder().runDir(Path.of("o")).baseRun(Path.of("b"))
        .dataFile(Path.of("d.jsonl")).device(Device.CPU).batch(3).seqLen(17).margin(0.3f).train(train).resume(true)
        .precision(Precision.F32).build(), given);
  }

  @Test
  void dpo() {
    List<Triple> train = List.of(new Triple(new int[] {1}, new int[] {2}, new int[] {3}));
    List<Triple> heldOut = List.of(new Triple(new int[] {4}, new int[] {5}, new int[] {6}));
    DpoData.Pairs pairs = new DpoData.Pairs(train, heldOut);
    assertEquals(DpoOptions.builder().runDir(Path.of("runs/dpo")).baseRun(Path.of("runs/sft")).trainPairs(train)
        .heldOutPairs(heldOut).data("label").build(), parse(new DpoCommand(), "").options(pairs, "label"));

    DpoOptions given = parse(new DpoCommand(), SHARED + "--base b --beta 0.3 --batch 3 --lr 0.002 --warmup 4"
        + " --eval-every 9 --checkpoint-every 6 --eval-prompts 5 --resume").options(pairs, "label");
    TrainConfig t = shared(DpoOptions.builder().train().toBuilder()).lr(0.002f).warmupSteps(4).evalEvery(9)
        .checkpointEvery(6).build();
    assertEquals(DpoOptions.builder().runDir(Path.of("o")).baseRun(Path.of("b")).device(Device.CPU).batch(3)
        .beta(0.3f).train(t).resume(true).trainPairs(train).heldOutPairs(heldOut).data("label").evalPrompts(5)
        .precision(Precision.F32).build(), given);
  }

  @Test
  void grpo() {
    assertEquals(GrpoOptions.builder().runDir(Path.of("runs/grpo")).policyRun(Path.of("runs/sft"))
        .rewardRun(Path.of("runs/reward")).build(), parse(new GrpoCommand(), "").options());

    GrpoOptions given = parse(new GrpoCommand(), SHARED + "--policy p --reward r --prompts 3 --group 5"
        + " --max-new-tokens 9 --beta 0.1 --clip 0.3 --lr 0.002 --warmup 4 --eval-prompts 5 --checkpoint-every 6"
        + " --resume").options();
    TrainConfig train = shared(GrpoOptions.builder().train().toBuilder()).lr(0.002f).warmupSteps(4)
        .checkpointEvery(6).build();
    assertEquals(GrpoOptions.builder().runDir(Path.of("o")).policyRun(Path.of("p")).rewardRun(Path.of("r"))
        .device(Device.CPU).prompts(3).group(5).maxNewTokens(9).beta(0.1f).clipEps(0.3f).evalPrompts(5).train(train)
        .resume(true).precision(Precision.F32).build(), given);
  }

  @Test
  void ppo() {
    assertEquals(PpoOptions.builder().runDir(Path.of("runs/ppo")).policyRun(Path.of("runs/sft"))
        .rewardRun(Path.of("runs/reward")).build(), parse(new PpoCommand(), "").options());

    PpoOptions given = parse(new PpoCommand(), SHARED + "--policy p --reward r --batch 6 --mini-batch 3 --epochs 2"
        + " --lr 0.002 --beta 0.1 --target-kl 4 --fixed-beta --max-new-tokens 9 --eval-prompts 5"
        + " --checkpoint-every 6 --keep 3 --resume").options();
    assertEquals(PpoOptions.builder().runDir(Path.of("o")).policyRun(Path.of("p")).rewardRun(Path.of("r"))
        .device(Device.CPU).steps(7).batch(6).miniBatch(3).epochs(2).lr(0.002f).beta(0.1f).targetKl(4f)
        .adaptiveKl(false).maxNewTokens(9).evalPrompts(5).seed(11).resume(true).checkpointEvery(6).keepCheckpoints(3)
        .precision(Precision.F32).beta1(0.8f).beta2(0.9f).eps(1e-7f).dataOrder(DataOrder.SEQUENTIAL).build(), given);

    // a --batch below the default mini-batch takes it down with it
    assertEquals(4, parse(new PpoCommand(), "--batch 4").options().miniBatch());
  }
}
