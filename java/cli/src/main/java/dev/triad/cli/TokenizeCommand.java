package dev.triad.cli;

import dev.triad.data.CorpusReader;
import dev.triad.data.SyntheticCorpus;
import dev.triad.data.Tokenize;
import dev.triad.data.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code triad tokenize}: turns text into the llm.c-format token shards that pretraining reads.
 * With no input files it tokenizes the embedded {@link SyntheticCorpus}, so the whole pipeline
 * runs on a fresh machine without downloads.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
    description = {
        "Tokenize text into llm.c-format token shards (OUT/train_000000.bin, ..., OUT/val_000000.bin).",
        "Each document is preceded by the end-of-text token; documents are split into train and "
            + "validation whole. Shards left in OUT by an earlier run of this command are replaced."})
final class TokenizeCommand implements Callable<Integer> {
  @Parameters(arity = "0..*", paramLabel = "FILE",
      description = "Corpus files: .txt (one document per file, or several separated by lines holding only "
          + "<|endoftext|>) or .jsonl (one {\"text\": \"...\"} object per line); a directory means its .txt and "
          + ".jsonl files. None: the embedded synthetic corpus (weather bulletins, simple facts, arithmetic, word "
          + "games, quizzes).")
  List<Path> inputs = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR",
      description = "Directory for the shards, created if needed (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("runs", "data");

  @Option(names = "--tokenizer", paramLabel = "NAME",
      description = "gpt2 (GPT-2 BPE, 50257 ids, for real models) or byte (UTF-8 bytes, 257 ids, for tiny "
          + "models) (default: ${DEFAULT-VALUE}).")
  String tokenizer = "gpt2";

  @Option(names = "--val-fraction", paramLabel = "F",
      description = "Share of documents held out for validation, in [0, 1); at least one document when "
          + "positive (default: ${DEFAULT-VALUE}).")
  double valFraction = 0.05;

  @Option(names = "--shard-tokens", paramLabel = "N",
      description = "Most tokens per shard file; larger splits are written as several numbered files "
          + "(default: ${DEFAULT-VALUE}, 200 MB per file).")
  long shardTokens = 100_000_000L;

  @Option(names = "--seed", paramLabel = "SEED",
      description = "Seed for the train/validation choice and for the synthetic corpus (default: ${DEFAULT-VALUE}).")
  long seed = SyntheticCorpus.DEFAULT_SEED;

  @Option(names = "--synthetic-bytes", paramLabel = "BYTES",
      description = "Size of the synthetic corpus when no FILE is given (default: ${DEFAULT-VALUE}, about 3 MB).")
  long syntheticBytes = SyntheticCorpus.DEFAULT_BYTES;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  private boolean given(String option) {
    picocli.CommandLine.ParseResult r = spec == null ? null : spec.commandLine().getParseResult();
    return r != null && r.hasMatchedOption(option);
  }

  @Override
  public Integer call() throws Exception {
    OptionChecks.oneOf("--tokenizer", tokenizer, Tokenizer.NAMES.toArray(new String[0]));
    if (!(valFraction >= 0 && valFraction < 1)) {
      throw new IllegalArgumentException("--val-fraction " + valFraction + ": must be a number in [0, 1)");
    }
    OptionChecks.atLeast("--shard-tokens", shardTokens, 1);
    OptionChecks.atLeast("--synthetic-bytes", syntheticBytes, 1);
    if (!inputs.isEmpty() && given("--synthetic-bytes")) {
      throw new IllegalArgumentException("--synthetic-bytes applies to the embedded corpus only, not to FILE inputs");
    }
    for (Path in : inputs) {
      if (!java.nio.file.Files.exists(in)) {
        throw new IllegalArgumentException(in + ": no such file or directory");
      }
      if (!java.nio.file.Files.isReadable(in)) {
        throw new IllegalArgumentException(in + ": not readable (permission denied)");
      }
    }
    OptionChecks.outputDirectory("--out", out);
    Tokenizer tok = Tokenizer.byName(tokenizer);
    long start = System.nanoTime();
    List<String> docs;
    String source;
    if (inputs.isEmpty()) {
      docs = SyntheticCorpus.documents(seed, syntheticBytes);
      source = "the embedded synthetic corpus (seed " + seed + ")";
    } else {
      docs = CorpusReader.read(inputs);
      source = inputs.size() == 1 ? inputs.get(0).toString() : inputs.size() + " inputs";
    }
    System.out.printf("tokenize: %d documents from %s with %s%n", docs.size(), source, tok);
    Tokenize.Summary s = Tokenize.run(docs, tok, out, valFraction, shardTokens, seed);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("train: %d documents, %d tokens in %d file(s)%n", s.trainDocuments(), s.trainTokens(),
        s.trainFiles().size());
    System.out.printf("val:   %d documents, %d tokens in %d file(s)%n", s.valDocuments(), s.valTokens(),
        s.valFiles().size());
    for (Path f : s.files()) {
      System.out.printf("wrote %s (%d bytes)%n", f, Files.size(f));
    }
    for (Path f : s.removedFiles()) {
      System.out.printf("removed stale %s%n", f);
    }
    System.out.printf("done in %.1f s; train with the shards %s and %s%n", seconds,
        out.resolve("train_*.bin"), out.resolve("val_*.bin"));
    return 0;
  }
}
