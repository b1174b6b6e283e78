package dev.triad.cli;

import dev.triad.tensor.Device;
import dev.triad.train.TrainConfig;
import dev.triad.train.rlhf.Grpo;
import dev.triad.train.rlhf.GrpoOptions;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code triad grpo}: the RLHF phase by GRPO, from an SFT run against a reward model run. */
@Command(name = "grpo", mixinStandardHelpOptions = true,
    description = {"Align an instruction-tuned run with a learnt reward model by GRPO (group relative policy"
        + " optimisation): G sampled replies per prompt, advantages normalised within each group, no critic.",
        "Writes held-out reward and rule scores before/after and the final KL to <out>/grpo_eval.json."})
final class GrpoCommand implements TrainingCommand {
  /** The library's defaults, where every option's default below comes from (read, never set). */
  private static final GrpoOptions.Builder DEFAULTS = GrpoOptions.builder();
  private static final TrainConfig TRAIN = DEFAULTS.train();

  @Mixin
  TrainingOptions common = new TrainingOptions("runs/grpo", TRAIN, "(from --policy)");

  @Mixin
  ScheduleOptions schedule = new ScheduleOptions(TRAIN);

  @Option(names = "--policy", paramLabel = "DIR", description = "SFT run to start from (default: ${DEFAULT-VALUE})")
  Path policy = Path.of("runs/sft");

  @Option(names = "--reward", paramLabel = "DIR", description = "`triad reward` run that scores replies (default: ${DEFAULT-VALUE})")
  Path reward = Path.of("runs/reward");

  @Option(names = "--prompts", paramLabel = "P", description = "prompts per step (default: ${DEFAULT-VALUE})")
  int prompts = DEFAULTS.prompts();

  @Option(names = "--group", paramLabel = "G", description = "replies sampled per prompt (default: ${DEFAULT-VALUE})")
  int group = DEFAULTS.group();

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "reply budget (default: ${DEFAULT-VALUE})")
  int maxNewTokens = DEFAULTS.maxNewTokens();

  @Option(names = "--beta", description = "weight of the KL penalty to the SFT reference; 0 disables it (default: ${DEFAULT-VALUE})")
  float beta = DEFAULTS.beta();

  @Option(names = "--clip", paramLabel = "EPS", description = "clip range of the probability ratio (default: ${DEFAULT-VALUE})")
  float clip = DEFAULTS.clipEps();

  @Option(names = "--eval-prompts", paramLabel = "N", description = "held-out prompts evaluated before/after (default: ${DEFAULT-VALUE})")
  int evalPrompts = DEFAULTS.evalPrompts();

  /** Every option checked before anything is read or written (OptionChecks). */
  @Override
  public void validate() {
    common.validate("--policy");
    OptionChecks.atLeast("--prompts", prompts, 1);
    OptionChecks.atLeast("--group", group, 2); // advantages are normalised within a group: one reply has none
    OptionChecks.atLeast("--max-new-tokens", maxNewTokens, 1);
    OptionChecks.nonNegative("--beta", beta);
    OptionChecks.within("--clip", clip, 0, 1);
    OptionChecks.positive("--clip", clip);
    OptionChecks.atLeast("--eval-prompts", evalPrompts, 0);
    schedule.validate();
    OptionChecks.runDirectory("--policy", policy);
    OptionChecks.runDirectory("--reward", reward);
  }

  @Override
  public Integer call() {
    validate();
    Grpo.run(options());
    return 0;
  }

  /** The run the (validated) options ask for. */
  GrpoOptions options() {
    TrainConfig train = common.train(schedule.applyTo(TRAIN.toBuilder()));
    Device device = common.parsedDevice();
    return GrpoOptions.builder().runDir(common.out).policyRun(policy).rewardRun(reward).device(device)
        .prompts(prompts).group(group).maxNewTokens(maxNewTokens).beta(beta).clipEps(clip).evalPrompts(evalPrompts)
        .train(train).resume(common.resume).precision(common.parsedPrecision(device)).build();
  }
}
