package dev.triad.cli;

import dev.triad.tensor.Device;
import dev.triad.train.rlhf.Ppo;
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
  @Mixin
  TrainingOptions common = new TrainingOptions("runs/ppo", 100, "(from --policy)");

  @Option(names = "--policy", paramLabel = "DIR", description = "SFT run to start from (default: ${DEFAULT-VALUE})")
  Path policy = Path.of("runs/sft");

  @Option(names = "--reward", paramLabel = "DIR", description = "reward model run (default: ${DEFAULT-VALUE})")
  Path reward = Path.of("runs/reward");

  @Option(names = "--batch", paramLabel = "B", description = "prompts rolled out per step (default: ${DEFAULT-VALUE})")
  int batch = 16;

  @Option(names = "--mini-batch", paramLabel = "N", description = "rollouts per minibatch (default: ${DEFAULT-VALUE})")
  int miniBatch = 8;

  @Option(names = "--epochs", paramLabel = "K", description = "PPO epochs per rollout (default: ${DEFAULT-VALUE})")
  int epochs = 4;

  @Option(names = "--lr", description = "learning rate of policy and critic (default: ${DEFAULT-VALUE})")
  float lr = 1e-5f;

  @Option(names = "--beta", description = "KL penalty coefficient (initial value when adaptive) (default: ${DEFAULT-VALUE})")
  float beta = 0.05f;

  @Option(names = "--target-kl", description = "target KL of a reply in nats, for the adaptive controller and the"
      + " guardrails (default: ${DEFAULT-VALUE})")
  float targetKl = 6f;

  @Option(names = "--fixed-beta", description = "keep beta fixed (no adaptive KL controller)")
  boolean fixedBeta;

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "reply budget (default: ${DEFAULT-VALUE})")
  int maxNew = 32;

  @Option(names = "--eval-prompts", paramLabel = "N", description = "held-out RL prompts (default: ${DEFAULT-VALUE})")
  int evalPrompts = 64;

  @Option(names = "--checkpoint-every", paramLabel = "STEPS",
      description = "save a checkpoint every N steps (and after the last) (default: ${DEFAULT-VALUE})")
  int checkpointEvery = Ppo.Options.DEFAULT_CHECKPOINT_EVERY;

  @Option(names = "--keep", paramLabel = "K", description = "checkpoints to keep (default: ${DEFAULT-VALUE})")
  int keep = 2;

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
  Ppo.Options options() {
    Ppo.Options d = Ppo.Options.defaults(common.out, policy, reward);
    Device device = common.parsedDevice();
    return new Ppo.Options(common.out, policy, reward, device, common.steps, batch,
        Math.min(miniBatch, batch), epochs, lr, beta, targetKl, !fixedBeta, d.klHorizon(), d.clipEps(),
        d.valueClipEps(), d.vfCoef(), d.entCoef(), d.gamma(), d.lambda(), maxNew, d.gradClip(), evalPrompts,
        common.seed, common.resume, checkpointEvery, keep, common.parsedPrecision(device))
        .withOptimizer(common.beta1, common.beta2, common.eps, common.parsedDataOrder());
  }
}
