package dev.triad.cli;

import dev.triad.io.GptExport;
import dev.triad.nn.Gpt;
import dev.triad.tensor.Device;
import dev.triad.train.RunInfo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code triad export}: a run's model in Hugging Face GPT-2 layout. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Write a run's model as Hugging Face GPT-2 files (model.safetensors + config.json).")
final class ExportCommand implements Callable<Integer> {
  @Option(names = "--run", paramLabel = "DIR", description = "run directory to export (default: ${DEFAULT-VALUE})")
  Path run = Path.of("runs/pretrain");

  @Option(names = "--checkpoint", paramLabel = "FILE", description = "a specific checkpoint (default: the run's latest)")
  Path checkpoint;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "directory to write")
  Path out;

  @Override
  public Integer call() throws Exception {
    OptionChecks.runDirectory("--run", run);
    OptionChecks.readableFile("--checkpoint", checkpoint);
    OptionChecks.outputDirectory("--out", out);
    try (Gpt model = RunInfo.loadModel(run, checkpoint, Device.CPU)) {
      GptExport.save(model, out);
    }
    System.out.println("export: wrote " + out.resolve("model.safetensors") + " and " + out.resolve("config.json"));
    return 0;
  }
}
