package dev.triad.train;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import java.nio.file.Path;

/**
 * What every phase's options builder shares (Pretrain, Sft, RewardTraining, Dpo, Grpo, Ppo): the
 * run directory, the device, the precision and whether to resume. Each phase's {@code Builder}
 * extends it (directly, or through {@link TrainedPhaseBuilder}, {@link TuningPhaseBuilder} or
 * {@link PolicyPhaseBuilder} for the settings some phases share) with its own settings and resolves
 * the null defaults in {@code build()}.
 *
 * @param <B> the phase's builder, returned by every setter so calls chain
 */
public abstract class PhaseBuilder<B extends PhaseBuilder<B>> {
  protected Path runDir;
  protected Device device; // null: Device.best()
  protected Precision precision; // null: the device's default
  protected boolean resume;

  /** This builder as its own type (B is the concrete builder, by the type bound every phase declares). */
  @SuppressWarnings("unchecked")
  protected final B self() {
    return (B) this;
  }

  /** The run directory to write (config.json, metrics.jsonl, checkpoints/); required. */
  public B runDir(Path runDir) {
    this.runDir = runDir;
    return self();
  }

  /** Where to train; null (the default): CUDA when available, else the CPU. */
  public B device(Device device) {
    this.device = device;
    return self();
  }

  /** Parameters and activations in bf16 or f32; null (the default): the device's default. */
  public B precision(Precision precision) {
    this.precision = precision;
    return self();
  }

  /** Continue exactly from the latest checkpoint in runDir (default: a fresh run). */
  public B resume(boolean resume) {
    this.resume = resume;
    return self();
  }

  /** The device asked for, else the best available (for build(): call once, use the result). */
  protected Device resolvedDevice() {
    return device != null ? device : Device.best();
  }

  /** The precision asked for, else the default on {@code device}. */
  protected Precision resolvedPrecision(Device device) {
    return precision != null ? precision : Precision.defaultFor(device);
  }

  /** The run directory set so far (null until set). */
  public Path runDir() {
    return runDir;
  }
}
