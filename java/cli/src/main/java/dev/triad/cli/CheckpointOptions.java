package dev.triad.cli;

import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which checkpoint of a run to load, and in what precision (a picocli mixin of chat and sample). */
final class CheckpointOptions {
  @Option(names = "--checkpoint", paramLabel = "FILE", description = "a specific checkpoint (default: the run's latest)")
  Path checkpoint;

  @Option(names = "--precision", paramLabel = "bf16|f32|auto",
      description = "precision to run the model in (checkpoints hold f32 values, so any run loads in either);"
          + " auto: bf16 on cuda, f32 on cpu (default: ${DEFAULT-VALUE})")
  String precision = "auto";

  /** The parse-time check of --precision (OptionChecks). */
  void validatePrecision() {
    OptionChecks.oneOf("--precision", precision, "bf16", "f32", "auto");
  }

  /** The parse-time check of --checkpoint (OptionChecks). */
  void validateCheckpoint() {
    OptionChecks.readableFile("--checkpoint", checkpoint);
  }

  /** The --precision for {@code device}. */
  Precision precisionFor(Device device) {
    return PrecisionArg.parse(precision, device);
  }
}
