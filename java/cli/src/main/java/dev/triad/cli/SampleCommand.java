package dev.triad.cli;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
import dev.triad.tensor.Device;
import dev.triad.train.RunInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code triad sample}: text from a run's latest (or a given) checkpoint. Works on any run: an
 * instruction-tuned or RL run's chat special tokens print as their names ({@link ChatTemplate#decode}).
 */
@Command(name = "sample", mixinStandardHelpOptions = true,
    description = "Generate text from a trained model (KV-cache decoding).")
final class SampleCommand implements Callable<Integer> {
  @Option(names = "--run", paramLabel = "DIR",
      description = "run directory to load (default: runs/pretrain, else the demo's runs/demo/pretrain)")
  Path run;

  @Option(names = "--prompt", description = "text to continue (default: start of a new document)")
  String prompt;

  @Option(names = {"-n", "--num-samples"}, description = "samples to draw, decoded as one batch (default: ${DEFAULT-VALUE})")
  int num = 1;

  @Option(names = "--max-new-tokens", description = "tokens to generate per sample (default: ${DEFAULT-VALUE})")
  int maxNew = 100;

  @Option(names = "--temperature", description = "softmax temperature; 0 is greedy (default: ${DEFAULT-VALUE})")
  float temperature = 0.8f;

  @Option(names = "--top-k", description = "sample among the k most likely tokens; 0 disables (default: ${DEFAULT-VALUE})")
  int topK = 40;

  @Option(names = "--top-p", description = "nucleus sampling mass; 1 disables (default: ${DEFAULT-VALUE})")
  float topP = 1.0f;

  @Option(names = "--seed", description = "sampling seed (default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Option(names = "--device", paramLabel = "cpu|cuda|auto", description = "(default: ${DEFAULT-VALUE})")
  String device = "auto";

  @Mixin
  CheckpointOptions load = new CheckpointOptions();

  /**
   * Text of generated ids from a run whose model has {@code runVocab} ids: a tuned (sft or RL) run's
   * vocabulary holds the chat template's special tokens after {@code tok}'s ids, and those print as
   * their names, e.g. {@code <|assistant|>} (docs/CHAT_TEMPLATE.md); a pretrained run's ids are all
   * {@code tok}'s.
   */
  static String decode(int runVocab, Tokenizer tok, int[] ids) {
    return runVocab > tok.vocabSize() ? new ChatTemplate(tok).decode(ids) : tok.decode(ids);
  }

  /** The most samples one call draws (one batch): more is a typo, not a plan. */
  static final int MAX_SAMPLES = 4096;

  /** Every option checked before anything is read (OptionChecks). */
  private void validate() {
    OptionChecks.between("-n/--num-samples", num, 1, MAX_SAMPLES);
    OptionChecks.atLeast("--max-new-tokens", maxNew, 1);
    OptionChecks.nonNegative("--temperature", temperature);
    OptionChecks.atLeast("--top-k", topK, 0);
    OptionChecks.within("--top-p", topP, 0, 1);
    OptionChecks.positive("--top-p", topP);
    OptionChecks.oneOf("--device", device, "cpu", "cuda", "auto");
    load.validatePrecision();
    if (run != null) {
      OptionChecks.runDirectory("--run", run);
    }
    load.validateCheckpoint();
  }

  @Override
  public Integer call() {
    validate();
    DefaultRuns.Choice choice = DefaultRuns.forSample(run, Path.of(""));
    if (choice.note() != null) {
      System.err.println("triad sample: " + choice.note());
    }
    Path dir = choice.run();
    RunInfo info = RunInfo.read(dir);
    Tokenizer tok = Tokenizer.byName(info.tokenizer());
    int[] promptTokens = prompt == null ? new int[0] : tok.encode(prompt);
    int[] start = new int[promptTokens.length + 1];
    start[0] = tok.eotToken();
    System.arraycopy(promptTokens, 0, start, 1, promptTokens.length);
    int[][] prompts = new int[num][];
    Arrays.fill(prompts, start);
    int budget = Math.min(maxNew, info.blockSize() - start.length);
    if (budget < 1) {
      throw new IllegalArgumentException("the prompt (" + start.length + " tokens) fills the model's context of "
          + info.blockSize());
    }
    Device d = Device.parse(device);
    try (Gpt model = RunInfo.loadModel(dir, load.checkpoint, d, load.precisionFor(d))) {
      int[][] out = Generator.generate(model, prompts,
          new SamplingConfig(budget, temperature, topK, topP, new int[] {tok.eotToken()}, seed));
      for (int i = 0; i < num; i++) {
        if (num > 1) {
          System.out.println("--- sample " + (i + 1));
        }
        System.out.println((prompt == null ? "" : prompt) + decode(info.vocabSize(), tok, out[i]));
      }
    }
    return 0;
  }
}
