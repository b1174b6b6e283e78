package dev.triad.cli;

import dev.triad.data.CorpusReader;
import dev.triad.data.EveryNth;
import dev.triad.data.chat.Conversation;
import dev.triad.data.chat.SftDataset;
import dev.triad.data.pref.PreferenceDataset;
import dev.triad.data.pref.PreferencePair;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import dev.triad.train.audit.Audit;
import dev.triad.train.audit.AuditInputs;
import dev.triad.train.audit.AuditReport;
import dev.triad.train.audit.DataSet;
import dev.triad.train.audit.PromptFile;
import dev.triad.train.audit.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code triad audit}: checks that the three phases' data and runs agree (docs/AUDIT.md). With no
 * data option it audits the embedded data as the phases use it by default; with any, exactly what
 * was given. Exit 0, or 1 under {@code --strict} when a check fails; 2 for bad input.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = {"Check the phases' data against each other: evaluation prompts in training sets (exact and near),"
        + " SFT targets the preference data rejects, length/style bias of chosen vs rejected, the chat template's"
        + " renderings, the runs' tokenizers, task families per phase (docs/AUDIT.md).",
        "With no data option: the embedded data (seed 1337)."})
final class AuditCommand implements Callable<Integer> {
  @Option(names = "--corpus", paramLabel = "FILE|DIR", description = "Pretraining corpus: .txt or .jsonl files, or a"
      + " directory of them (repeatable).")
  List<Path> corpus = new ArrayList<>();

  @Option(names = "--sft", paramLabel = "FILE", description = "SFT data (JSONL, as `triad sft --data`).")
  Path sft;

  @Option(names = "--pref", paramLabel = "FILE", description = "Preference data (JSONL, as `triad reward --data`);"
      + " every 10th pair is held out, as the reward phase does.")
  Path pref;

  @Option(names = "--rl-prompts", paramLabel = "FILE", description = "RL prompts (JSONL: {\"prompt\": ...}).")
  Path rlPrompts;

  @Option(names = "--eval", paramLabel = "FILE", description = "An evaluation set (JSONL: {\"prompt\": ...,"
      + " \"answer\" or \"completion\": ...}), judged after every phase (repeatable).")
  List<Path> eval = new ArrayList<>();

  @Option(names = "--run", paramLabel = "DIR", description = "A run directory whose tokenizer and chat template are"
      + " compared with the others' (repeatable).")
  List<Path> runs = new ArrayList<>();

  @Option(names = "--strict", description = "Exit 1 when any check fails.")
  boolean strict;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Path json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    AuditInputs in;
    try {
      in = inputs();
    } catch (IllegalArgumentException | IOException e) {
      // bad input is exit 2, as picocli's own (Main prints the message as one line)
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      throw new CommandLine.ParameterException(spec.commandLine(), msg, new IllegalArgumentException(msg, e));
    }
    AuditReport report = Audit.run(in);
    System.out.print(report.table());
    if (json != null) {
      AtomicFiles.writeString(json, Json.PRETTY.writeValueAsString(report.toJson()));
      System.out.println("wrote " + json);
    }
    System.out.println("audit: " + report.status().name().toLowerCase(java.util.Locale.ROOT)
        + (report.failed() && !strict ? " (not --strict: exit 0)" : ""));
    return strict && report.failed() ? 1 : 0;
  }

  private AuditInputs inputs() throws IOException {
    for (Path p : corpus) {
      if (!Files.exists(p)) {
        throw new IllegalArgumentException("--corpus " + p + ": no such file or directory");
      }
    }
    OptionChecks.readableFile("--sft", sft);
    OptionChecks.readableFile("--pref", pref);
    OptionChecks.readableFile("--rl-prompts", rlPrompts);
    for (Path e : eval) {
      OptionChecks.readableFile("--eval", e);
    }
    for (Path r : runs) {
      OptionChecks.runDirectory("--run", r);
    }
    if (json != null && Files.isDirectory(json)) {
      throw new IllegalArgumentException("--json " + json + ": is a directory, not a file");
    }
    boolean anyData = !corpus.isEmpty() || sft != null || pref != null || rlPrompts != null || !eval.isEmpty();
    if (!anyData) {
      return AuditInputs.embedded(AuditInputs.DEFAULT_SEED).withRuns(runs);
    }
    List<Sample> sftSamples = null;
    if (sft != null) {
      sftSamples = new ArrayList<>();
      for (Conversation c : SftDataset.readJsonl(sft)) {
        sftSamples.addAll(Sample.of(c));
      }
    }
    List<PreferencePair> prefTrain = null;
    List<PreferencePair> prefHeldOut = null;
    List<DataSet> evaluation = new ArrayList<>();
    if (pref != null) {
      EveryNth<PreferencePair> split = EveryNth.split(PreferenceDataset.readJsonl(pref), 10);
      prefTrain = split.kept();
      prefHeldOut = split.heldOut();
      List<Sample> held = new ArrayList<>();
      prefHeldOut.forEach(p -> held.add(Sample.chosen(p)));
      evaluation.add(new DataSet("pref-heldout", DataSet.Phase.PREFERENCE, held));
    }
    for (Path e : eval) {
      evaluation.add(new DataSet(e.getFileName().toString(), DataSet.Phase.RL, PromptFile.read(e)));
    }
    return new AuditInputs(corpus.isEmpty() ? null : CorpusReader.read(corpus), sftSamples, prefTrain, prefHeldOut,
        rlPrompts == null ? null : PromptFile.read(rlPrompts), evaluation, runs, Set.of());
  }
}
