package dev.triad.train;

import java.nio.file.Path;

/**
 * The settings of the phases that optimise a policy against a reward model (Grpo, Ppo): the two
 * runs they start from, both required.
 *
 * @param <B> the phase's builder, returned by every setter so calls chain
 */
public abstract class PolicyPhaseBuilder<B extends PolicyPhaseBuilder<B>> extends PhaseBuilder<B> {
  protected Path policyRun;
  protected Path rewardRun;

  /** The SFT run to start from (and the KL reference); required. */
  public B policyRun(Path policyRun) {
    this.policyRun = policyRun;
    return self();
  }

  /** The reward model run (`triad reward`) that scores the sampled replies; required. */
  public B rewardRun(Path rewardRun) {
    this.rewardRun = rewardRun;
    return self();
  }
}
