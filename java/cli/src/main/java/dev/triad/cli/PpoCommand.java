package dev.triad.cli;

import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.rlhf.Ppo;
import dev.triad.train.rlhf.PpoOptions;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code triad ppo}: the RLHF phase by PPO against a trained reward model. */
@Command(name = "ppo", mixinStandardHelpOptions = true,
    description = {"Align an instruction-tuned run by PPO against a reward model (`triad reward`), with a KL penalty"
        + " to the SFT weights. Rolls out on the embedded RL prompts; writes held-out reward and rule scores before"
        + " and after to <out>/ppo_eval.json. Checkpoints hold policy, critic, both optimizers and the KL controller;"
        + " --resume continues exactly from the latest."})
final class PpoCommand implements TrainingCommand {
  /** The library's defaults, where every option's default below comes from (read, never set). */
  private static final PpoOptions.Builder DEFAULTS = PpoOptions.builder();

  /** The shared options (steps, seed, AdamW's betas and eps, data order) at PPO's defaults. */
  @Mixin
  TrainingOptions common = new TrainingOptions("runs/ppo", TrainConfig.builder().steps(DEFAULTS.steps())
      .seed(DEFAULTS.seed()).beta1(DEFAULTS.beta1()).beta2(DEFAULTS.beta2()).eps(DEFAULTS.eps())
      .dataOrder(DEFAULTS.dataOrder()).build(), "(from --policy)");

  @Option(names = "--policy", paramLabel = "DIR", description = "SFT run to start from (default: ${DEFAULT-VALUE})")
  Path policy = Path.of("runs/sft");

  @Option(names = "--reward", paramLabel = "DIR", description = "reward model run (default: ${DEFAULT-VALUE})")
  Path reward = Path.of("runs/reward");

  @Option(names = "--batch", paramLabel = "B", description = "prompts rolled out per step (default: ${DEFAULT-VALUE})")
  int batch = DEFAULTS.batch();

  @Option(names = "--mini-batch", paramLabel = "N", description = "rollouts per minibatch (default: ${DEFAULT-VALUE})")
  int miniBatch = DEFAULTS.miniBatch();

  @Option(names = "--epochs", paramLabel = "K", description = "PPO epochs per rollout (default: ${DEFAULT-VALUE})")
  int epochs = DEFAULTS.epochs();

  @Option(names = "--lr", description = "learning rate of policy and critic (default: ${DEFAULT-VALUE})")
  float lr = DEFAULTS.lr();

  @Option(names = "--beta", description = "KL penalty coefficient (initial value when adaptive) (default: ${DEFAULT-VALUE})")
  float beta = DEFAULTS.beta();

  @Option(names = "--target-kl", description = "target KL of a reply in nats, for the adaptive controller and the"
      + " guardrails (default: ${DEFAULT-VALUE})")
  float targetKl = DEFAULTS.targetKl();

  @Option(names = "--fixed-beta", description = "keep beta fixed (no adaptive KL controller)")
  boolean fixedBeta = !DEFAULTS.adaptiveKl();

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "reply budget (default: ${DEFAULT-VALUE})")
  int maxNew = DEFAULTS.maxNewTokens();

  @Option(names = "--eval-prompts", paramLabel = "N", description = "held-out RL prompts (default: ${DEFAULT-VALUE})")
  int evalPrompts = DEFAULTS.evalPrompts();

  @Option(names = "--checkpoint-every", paramLabel = "STEPS",
      description = "save a checkpoint every N steps (and after the last) (default: ${DEFAULT-VALUE})")
  int checkpointEvery = DEFAULTS.checkpointEvery();

  @Option(names = "--keep", paramLabel = "K", description = "checkpoints to keep (default: ${DEFAULT-VALUE})")
  int keep = DEFAULTS.keepCheckpoints();

  /** Every option checked before anything is read or written (OptionChecks). */
  @Override
  public void validate() {
    common.validate("--policy");
    OptionChecks.atLeast("--batch", batch, 1);
    OptionChecks.atLeast("--mini-batch", miniBatch, 1);
    if (common.given("--mini-batch") && miniBatch > batch) {
      throw new IllegalArgumentException("--mini-batch " + miniBatch + ": must be <= --batch " + batch);
    }
    OptionChecks.atLeast("--epochs", epochs, 1);
    OptionChecks.positive("--lr", lr);
    OptionChecks.nonNegative("--beta", beta);
    OptionChecks.positive("--target-kl", targetKl);
    OptionChecks.atLeast("--max-new-tokens", maxNew, 1);
    OptionChecks.atLeast("--eval-prompts", evalPrompts, 0);
    OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 1);
    OptionChecks.atLeast("--keep", keep, 1);
    OptionChecks.runDirectory("--policy", policy);
    OptionChecks.runDirectory("--reward", reward);
  }

  @Override
  public Integer call() {
    validate();
    Ppo.run(options());
    return 0;
  }

  /** The run the (validated) options ask for. */
  PpoOptions options() {
    Device device = common.parsedDevice();
    // the settings without an option (clip ranges, loss weights, GAE, grad clip) stay at the builder's; a
    // --batch below the default --mini-batch takes the mini-batch down with it (validate() refuses a given one)
    return PpoOptions.builder().runDir(common.out).policyRun(policy).rewardRun(reward).device(device)
        .steps(common.steps).batch(batch).miniBatch(Math.min(miniBatch, batch)).epochs(epochs).lr(lr).beta(beta)
        .targetKl(targetKl).adaptiveKl(!fixedBeta).maxNewTokens(maxNew).evalPrompts(evalPrompts).seed(common.seed)
        .resume(common.resume).checkpointEvery(checkpointEvery).keepCheckpoints(keep)
        .precision(common.parsedPrecision(device)).beta1(common.beta1).beta2(common.beta2).eps(common.eps)
        .dataOrder(common.parsedDataOrder()).build();
  }
}
