package dev.triad.cli;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import dev.triad.generate.Generator;
import dev.triad.generate.SamplingConfig;
import dev.triad.nn.Gpt;
import dev.triad.tensor.Device;
import dev.triad.train.ChatRuns;
import dev.triad.train.RunInfo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code triad chat}: talk to an instruction-tuned run; each stdin line is one user turn. At a terminal
 * the turns form one conversation; piped input (a list of unrelated questions, usually) starts a new
 * conversation at every line unless {@code --keep-history}. Turns are labelled the same way in both:
 * {@value #YOU} before the user's line (echoed when piped), {@value #MODEL} before the reply.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = {"Chat with an instruction-tuned model. Each input line is a user message; an empty line or EOF ends.",
        "Reads standard input when it is not a terminal, so it can be scripted: echo 'What is 2 plus 3?' | triad chat",
        "Piped, every line is a new conversation (unless --keep-history) and is echoed as 'you: ...' before"
            + " the 'triad: ...' reply."})
final class ChatCommand implements Callable<Integer> {
  /** Label of a user turn. */
  static final String YOU = "you: ";
  /** Label of a model turn. */
  static final String MODEL = "triad: ";

  @Option(names = "--run", paramLabel = "DIR",
      description = "instruction-tuned run (default: runs/sft, else the demo's latest RL run, else runs/demo/sft)")
  Path run;

  @Option(names = "--keep-history",
      description = "piped input: keep one conversation across lines (at a terminal it always does)")
  boolean keepHistory;

  @Option(names = "--temperature", description = "0 is greedy (default: ${DEFAULT-VALUE})")
  float temperature = 0f;

  @Option(names = "--top-k", description = "(default: ${DEFAULT-VALUE})")
  int topK = 40;

  @Option(names = "--max-new-tokens", description = "reply budget (default: ${DEFAULT-VALUE})")
  int maxNew = 128;

  @Option(names = "--system", description = "a system message opening the conversation")
  String system;

  @Option(names = "--seed", description = "(default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Mixin
  CheckpointOptions load = new CheckpointOptions();

  /** Every option checked before anything is read (OptionChecks). */
  private void validate() {
    OptionChecks.nonNegative("--temperature", temperature);
    OptionChecks.atLeast("--top-k", topK, 0);
    OptionChecks.atLeast("--max-new-tokens", maxNew, 1);
    load.validatePrecision();
    if (run != null) {
      OptionChecks.runDirectory("--run", run);
    }
    load.validateCheckpoint();
  }

  @Override
  public Integer call() throws Exception {
    validate();
    DefaultRuns.Choice choice = DefaultRuns.forChat(run, Path.of(""));
    if (choice.note() != null) {
      System.err.println("triad chat: " + choice.note());
    }
    Path dir = choice.run();
    RunInfo info = RunInfo.read(dir);
    ChatRuns.requireChatRun("chat", dir, info);
    ChatTemplate template = new ChatTemplate(Tokenizer.byName(info.tokenizer()));
    boolean interactive = System.console() != null;
    boolean keep = interactive || keepHistory;
    List<Message> history = new ArrayList<>();
    try (Gpt model = RunInfo.loadModel(dir, load.checkpoint, Device.best(), load.precisionFor(Device.best()));
         BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      if (interactive) {
        System.out.println("triad chat: " + dir + " (" + model.config.name() + "). Empty line to quit.");
      }
      for (int turn = 0; ; turn++) {
        if (interactive) {
          System.out.print(YOU);
          System.out.flush();
        }
        String line = in.readLine();
        if (line == null || line.isBlank()) {
          return 0;
        }
        if (!interactive) {
          System.out.println(YOU + line.strip());
        }
        if (!keep || turn == 0) {
          // piped lines are unrelated questions unless --keep-history: each starts a new conversation
          history.clear();
          if (system != null) {
            history.add(new Message("system", system));
          }
        }
        history.add(new Message("user", line.strip()));
        int[] prompt = template.renderPrompt(history);
        // keep the newest turns when the conversation outgrows the context
        while (prompt.length + 8 > model.config.blockSize() && history.size() > 1) {
          history.remove(history.get(0).role().equals("system") && history.size() > 2 ? 1 : 0);
          prompt = template.renderPrompt(history);
        }
        int budget = Math.min(maxNew, model.config.blockSize() - prompt.length);
        if (budget < 1) {
          throw new IllegalArgumentException("the message is longer than the model's context of " + model.config.blockSize());
        }
        int[] out = Generator.generate(model, new int[][] {prompt},
            new SamplingConfig(budget, temperature, topK, 1f, new int[] {template.endToken()}, seed + turn))[0];
        String reply = template.decodeText(out);
        System.out.println(MODEL + reply);
        history.add(new Message("assistant", reply.isEmpty() ? " " : reply));
      }
    }
  }
}
