package dev.triad.train;

import dev.triad.InvalidOptionException;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A phase's run directory, as every phase opens and writes it: checked fresh-or-resumed before
 * anything is written, then config.json ({@link RunInfo}), metrics and checkpoints (the
 * {@link Trainer}'s) and the phase's report ({@code <name>_eval.json}).
 */
public final class RunDirectory {
  /** The settings key of the chat template version a run was tuned or trained in. */
  public static final String CHAT_TEMPLATE = "chat_template";

  private final Path path;
  private final boolean resume;

  private RunDirectory(Path path, boolean resume) {
    this.path = path;
    this.resume = resume;
  }

  /**
   * Before a phase writes anything: a fresh run must not mix with an earlier run's checkpoints (they
   * would outrank its own, and keep-k pruning would delete the new ones); a resumed one needs a
   * checkpoint before step {@code steps} ({@link Checkpoints#checkRunDirectory(Path, boolean, long)}).
   */
  public static RunDirectory open(Path path, boolean resume, long steps) {
    Checkpoints.checkRunDirectory(path, resume, steps);
    return new RunDirectory(path, resume);
  }

  /**
   * For a command that writes nothing into {@code path} (sft --check): only that {@code resume} has a
   * checkpoint to continue from.
   */
  public static RunDirectory inspect(Path path, boolean resume) {
    if (resume && new Checkpoints(path, 1).latest().isEmpty()) {
      throw new InvalidOptionException("resume", ": no checkpoint in " + path.resolve("checkpoints"));
    }
    return new RunDirectory(path, resume);
  }

  public Path path() {
    return path;
  }

  public boolean resume() {
    return resume;
  }

  /** {@code <run>/checkpoints}. */
  public Path checkpoints() {
    return path.resolve("checkpoints");
  }

  /**
   * The settings a phase built on a chat run records first, in this order: the template version and
   * the run it starts from; the phase adds its own after them.
   */
  public static Map<String, Object> chatSettings(Path baseRun) {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put(CHAT_TEMPLATE, ChatTemplate.VERSION);
    settings.put("base_run", baseRun.toString());
    return settings;
  }

  /**
   * Writes config.json; on resume only after {@link ResumeCheck} found it describes the run recorded
   * there. Returns what it wrote.
   */
  public RunInfo writeInfo(String phase, GptConfig model, String tokenizer, Precision precision,
      Map<String, Object> settings) {
    RunInfo info = RunInfo.of(phase, model, tokenizer, precision, settings);
    if (Ranks.writes()) { // rank 0 of a data-parallel run (it also checks a resumed run's record)
      info.write(path, resume);
    }
    return info;
  }

  /** Writes {@code <run>/<name>} atomically: the phase's report, indented JSON in the map's order. */
  public void writeReport(String name, Map<String, Object> report) {
    Path file = path.resolve(name);
    if (!Ranks.writes()) {
      return;
    }
    try {
      AtomicFiles.writeString(file, Json.PRETTY.writeValueAsString(report));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
