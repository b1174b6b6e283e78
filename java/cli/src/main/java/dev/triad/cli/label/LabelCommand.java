package dev.triad.cli.label;

import dev.triad.cli.DeviceArg;
import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.pref.PreferenceData;
import dev.triad.nn.Gpt;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import dev.triad.train.ChatRuns;
import dev.triad.train.RunInfo;
import dev.triad.train.audit.PromptFile;
import dev.triad.train.audit.Sample;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code triad label}: a local web page for judging pairs of a policy's replies by hand, writing the
 * preference pairs {@code triad reward --data} and {@code triad dpo --data} train on. Runs until
 * stopped (Ctrl-C); every judgement is on disk before the page hears it was taken.
 */
@Command(name = "label", mixinStandardHelpOptions = true,
    description = {"Collect human preference pairs in the browser: two replies of a run per prompt, side by side.",
        "Writes {\"prompt\",\"chosen\",\"rejected\",...} lines to --out (ties and both-bad to <out>.skipped.jsonl,"
            + " the items to <out>.items.jsonl, reused on restart). Keys on the page: 1/a A better, 2/b B better,"
            + " shift for much better, t tie, x both bad, c/o/h aspects, n note, u undo."})
public final class LabelCommand implements Callable<Integer> {
  @Option(names = "--run", paramLabel = "DIR", description = "instruction-tuned run to sample replies from (needed"
      + " until the items are sampled: a restart reuses <out>.items.jsonl)")
  Path run;

  @Option(names = "--checkpoint", paramLabel = "FILE", description = "a specific checkpoint (default: the run's latest)")
  Path checkpoint;

  @Option(names = "--prompts", paramLabel = "FILE",
      description = "JSONL of {\"prompt\": str} (default: the embedded RL prompts)")
  Path prompts;

  @Option(names = "--out", paramLabel = "FILE", description = "the pairs file, appended to (default: ${DEFAULT-VALUE})")
  Path out = Path.of("labels.jsonl");

  @Option(names = "--k", description = "replies per prompt; every two different ones make an item (default: ${DEFAULT-VALUE})")
  int k = 2;

  @Option(names = "--limit", paramLabel = "N", description = "items to label (default: ${DEFAULT-VALUE})")
  int limit = 50;

  @Option(names = "--temperature", description = "sampling temperature (default: ${DEFAULT-VALUE})")
  float temperature = 1f;

  @Option(names = "--max-new-tokens", description = "reply budget in tokens (default: ${DEFAULT-VALUE})")
  int maxNew = 96;

  @Option(names = "--seed", description = "sampling seed (default: ${DEFAULT-VALUE})")
  long seed = 0;

  @Option(names = "--host", description = "address to listen on; anything but loopback requires a token,"
      + " printed in the URL (default: ${DEFAULT-VALUE})")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE})")
  int port = 8765;

  @Option(names = "--device", paramLabel = "cpu|cuda|auto", description = "(default: ${DEFAULT-VALUE})")
  String device = "auto";

  private void validate() {
    if (k < 2 || k > 16) {
      throw new IllegalArgumentException("--k must be between 2 and 16, not " + k);
    }
    if (limit < 1) {
      throw new IllegalArgumentException("--limit must be at least 1, not " + limit);
    }
    if (!(temperature > 0) || !Float.isFinite(temperature)) {
      throw new IllegalArgumentException("--temperature must be positive: two replies at temperature 0 are the same");
    }
    if (maxNew < 1) {
      throw new IllegalArgumentException("--max-new-tokens must be at least 1, not " + maxNew);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be between 0 and 65535, not " + port);
    }
    if (!List.of("cpu", "cuda", "auto").contains(device)) {
      throw new IllegalArgumentException("--device must be cpu, cuda or auto, not " + device);
    }
    if (prompts != null && !Files.isReadable(prompts)) {
      throw new IllegalArgumentException("--prompts " + prompts + " cannot be read");
    }
  }

  @Override
  public Integer call() throws Exception {
    validate();
    LabelFiles files = LabelFiles.beside(out);
    List<LabelItem> items = items(files);
    LabelQueue queue = LabelQueue.open(items, files);
    queue.notes().forEach(n -> System.out.println("note: " + n));
    String token = LabelServer.isLoopback(host) ? null : LabelServer.newToken();
    LabelServer server;
    try {
      server = LabelServer.start(queue, host, port, token);
    } catch (IOException e) {
      queue.close();
      throw new IOException("cannot listen on " + host + ":" + port + ": " + e.getMessage()
          + (port != 0 ? " (another program may hold the port: try --port 0)" : ""), e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      queue.close();
      stopped.countDown();
    }, "triad-label-stop"));
    System.out.println("triad label: " + queue.total() + " items; pairs to " + files.pairs() + ", ties and both-bad to "
        + files.skipped());
    System.out.println("triad label: open " + server.url(addressForOthers(host))
        + "  (Ctrl-C stops; every choice is already saved)");
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** The name to put in the printed address: this machine's name when listening on every interface. */
  private static String addressForOthers(String host) {
    try {
      return InetAddress.getByName(host).isAnyLocalAddress() ? InetAddress.getLocalHost().getHostName() : host;
    } catch (IOException e) {
      return host;
    }
  }

  /** The items saved beside --out by an earlier start, else freshly sampled from --run (and saved). */
  private List<LabelItem> items(LabelFiles files) throws IOException {
    if (Files.exists(files.items())) {
      List<LabelItem> saved = ItemsFile.read(files.items());
      System.out.println("triad label: continuing with the " + saved.size() + " items in " + files.items()
          + " (delete it to sample new ones)");
      return saved;
    }
    if (run == null) {
      throw new IllegalArgumentException("--run is required to sample the items to label (" + files.items()
          + " does not exist yet)");
    }
    if (!Files.isRegularFile(run.resolve("config.json"))) {
      throw new IllegalArgumentException("--run " + run + " is not a run directory (no config.json)");
    }
    RunInfo info = RunInfo.read(run);
    ChatRuns.requireChatRun("label", run, info);
    ChatTemplate template = new ChatTemplate(Tokenizer.byName(info.tokenizer()));
    List<String> texts;
    if (prompts == null) {
      // the embedded prompts come grouped by task family: shuffled, so the first --limit items mix the families
      texts = new ArrayList<>(PreferenceData.defaultSplit(seed).rlPrompts().stream().map(e -> e.prompt()).toList());
      Collections.shuffle(texts, new Random(seed));
    } else {
      texts = readPrompts(prompts);
    }
    Device d = DeviceArg.parseAvailable(device);
    List<LabelItem> items;
    System.out.println("triad label: sampling " + k + " replies per prompt from " + run + " ...");
    try (Gpt model = RunInfo.loadModel(run, checkpoint, d, Precision.defaultFor(d))) {
      items = new ReplySampler(model, template, k, temperature, maxNew, seed)
          .items(texts, limit, m -> System.out.println("triad label: " + m));
    }
    if (items.isEmpty()) {
      throw new IllegalArgumentException("no prompt gave two different replies: nothing to label");
    }
    ItemsFile.write(files.items(), items);
    return items;
  }

  /** The "prompt" of every line of a JSONL prompt set (the same reader as `triad audit --rl-prompts`). */
  static List<String> readPrompts(Path file) throws IOException {
    return PromptFile.read(file).stream().map(Sample::prompt).toList();
  }
}
