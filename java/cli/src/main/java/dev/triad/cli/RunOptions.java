package dev.triad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import dev.triad.train.Checkpoints;
import dev.triad.train.RunInfo;
import dev.triad.train.RunLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The settings of a training command's run: the value of every option, recorded in
 * {@code <run>/options.json} when the run starts (and again, with the new --steps etc., each time it
 * resumes), and what {@code --resume} does with them: options not given are restored from the
 * record, options given are checked against it, and only {@link #CHANGEABLE} ones may differ.
 * Everything is checked before the run directory is written to. Runs recorded before options.json
 * existed resume from what their config.json holds, with a note naming what was assumed.
 *
 * <p>{@link Main} calls {@link #begin} for every command with {@link TrainingOptions}, after parsing
 * and before the command runs; the run's {@link RunLock} is held from there to the command's end.
 * options.json is written right after the phase writes config.json ({@link RunInfo#besideNextWrite}),
 * so a run the phase refuses leaves the directory as it was.
 */
final class RunOptions {
  static final String FILE = "options.json";

  /** Settings that may take another value on resume: how far to train, how often to evaluate and save, where. */
  static final String CHANGEABLE_TEXT =
      "--steps, --eval-every, --eval-batches, --sample-every, --checkpoint-every, --keep, --device";

  static final List<String> CHANGEABLE = List.of(CHANGEABLE_TEXT.split(", "));

  /** Options that are not settings of the run (where it is, what it prints): never recorded or compared. */
  private static final Set<String> NOT_SETTINGS = Set.of("--out", "--resume", "--profile", "--trace",
      "--trace-steps", "--no-plan-check", "--check", "--distributed");


  private RunOptions() {}

  /**
   * Before {@code command} (with training options {@code t}) runs: takes the run directory's lock;
   * for a fresh run checks the directory holds no other run; for {@code --resume} restores and checks
   * the options; either way has them recorded beside the phase's config.json. Returns the lock (the caller closes it
   * when the command ends).
   *
   * @throws IllegalArgumentException naming the option and both values (or the steps) when the
   *     resume is refused; nothing in the directory has been written then
   */
  static RunLock begin(CommandLine.ParseResult command, TrainingOptions t, Runnable validate) {
    CommandSpec spec = command.commandSpec();
    if (t.resume) {
      resume(command, spec, t); // reads only: restores the options not given, refuses changed ones
    }
    validate.run(); // the restored values too
    if (!dev.triad.train.Ranks.writes()) {
      return null; // a data-parallel rank other than 0: rank 0 holds the lock and records the options
    }
    RunLock lock = RunLock.acquire(t.out);
    try {
      Checkpoints.checkRunDirectory(t.out, t.resume); // again under the lock: another trainer may have started
      // recorded when the phase has validated too and writes its config.json: a refused run writes nothing
      Map<String, String> options = current(spec, t);
      RunInfo.besideNextWrite(dir -> write(dir, spec.name(), options));
      return lock;
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static void resume(CommandLine.ParseResult command, CommandSpec spec, TrainingOptions t) {
    Checkpoints.checkRunDirectory(t.out, true);
    Recorded rec = read(t.out, spec);
    if (rec.command() != null && !rec.command().equals(spec.name())) {
      throw new IllegalArgumentException("--resume: " + t.out + " holds a `triad " + rec.command() + "` run, not a `triad "
          + spec.name() + "` one");
    }
    List<String> assumed = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    // first restore every option not given (so --precision below resolves against the restored --device)
    for (OptionSpec o : settings(spec)) {
      String name = o.longestName();
      if (!command.hasMatchedOption(o)) {
        if (!rec.options().containsKey(name)) {
          assumed.add(name + " " + text(o.getValue()));
        } else if (convertible(o)) {
          o.setValue(convert(o, rec.options().get(name), rec.file()));
        } else {
          assumed.add(name + " " + text(o.getValue()) + " (its type cannot be restored)");
        }
      }
    }
    List<String> refused = new ArrayList<>();
    for (OptionSpec o : settings(spec)) {
      String name = o.longestName();
      if (!command.hasMatchedOption(o) || !rec.options().containsKey(name)) {
        continue;
      }
      String recorded = rec.options().get(name);
      if (same(o, valueOf(o, t), recorded, rec.file())) {
        continue;
      }
      if (CHANGEABLE.contains(name)) {
        changed.add(name + " " + text(o.getValue()) + " (was " + recorded + ")");
      } else {
        refused.add(name + " " + text(o.getValue()) + " differs from the run's " + recorded);
      }
    }
    if (!refused.isEmpty()) {
      throw new IllegalArgumentException("--resume: " + String.join("; ", refused) + " (" + rec.file() + "). Only "
          + CHANGEABLE_TEXT + " may change on resume: leave the others out (they are restored) or start a new run"
          + " with another --out");
    }
    Checkpoints.checkRunDirectory(t.out, true, t.steps);
    if (rec.older()) {
      System.out.println("note: " + t.out + " has no " + FILE + " (a run of an older Triad): its settings are"
          + " restored from config.json" + (assumed.isEmpty() ? "" : "; not recorded there, so assumed as given or"
          + " by default: " + String.join(", ", assumed)));
    } else if (!assumed.isEmpty()) {
      System.out.println("note: " + rec.file() + " does not record " + String.join(", ", assumed)
          + " (options newer than the run): assumed as given or by default");
    }
    if (!changed.isEmpty()) {
      System.out.println("note: resuming with " + String.join(", ", changed)
          + (changed.stream().anyMatch(c -> c.startsWith("--steps ")) ? "; the learning-rate schedule now spans"
          + " --steps " + t.steps : ""));
    }
  }

  /** The options of {@code spec} that are settings of the run, in declaration order. */
  private static List<OptionSpec> settings(CommandSpec spec) {
    List<OptionSpec> out = new ArrayList<>();
    for (OptionSpec o : spec.options()) {
      if (!o.usageHelp() && !o.versionHelp() && !NOT_SETTINGS.contains(o.longestName())) {
        out.add(o);
      }
    }
    return out;
  }

  /** Every setting's value as recorded: --precision resolved ("auto" is not a precision). */
  private static Map<String, String> current(CommandSpec spec, TrainingOptions t) {
    Map<String, String> m = new LinkedHashMap<>();
    for (OptionSpec o : settings(spec)) {
      m.put(o.longestName(), valueOf(o, t));
    }
    return m;
  }

  private static String valueOf(OptionSpec o, TrainingOptions t) {
    if (o.longestName().equals("--precision")) {
      return t.parsedPrecision(t.parsedDevice()).toString();
    }
    Object v = o.getValue();
    return v == null ? null : v.toString();
  }

  private static String text(Object v) {
    return v == null ? "(none)" : v.toString();
  }

  /** Whether {@code value} (this command's) and {@code recorded} are the same setting (paths compared resolved). */
  private static boolean same(OptionSpec o, String value, String recorded, Path file) {
    if (value == null || recorded == null) {
      return value == null && recorded == null;
    }
    if (o.longestName().equals("--precision") || !convertible(o)) {
      return value.equals(recorded);
    }
    Object a = convert(o, value, file), b = convert(o, recorded, file);
    if (a instanceof Path pa && b instanceof Path pb) {
      return pa.toAbsolutePath().normalize().equals(pb.toAbsolutePath().normalize());
    }
    return Objects.equals(a, b);
  }

  private static final Set<Class<?>> TYPES = Set.of(int.class, Integer.class, long.class, Long.class, float.class,
      Float.class, double.class, Double.class, boolean.class, Boolean.class, Path.class, String.class);

  /** Whether a recorded value of {@code o} can be turned back into its type (else compared as text). */
  private static boolean convertible(OptionSpec o) {
    return TYPES.contains(o.type()) || o.type().isEnum();
  }

  /** A recorded value as the option's type. */
  private static Object convert(OptionSpec o, String value, Path file) {
    if (value == null) {
      return null;
    }
    Class<?> type = o.type();
    try {
      if (type == int.class || type == Integer.class) {
        return Integer.parseInt(value);
      } else if (type == long.class || type == Long.class) {
        return Long.parseLong(value);
      } else if (type == float.class || type == Float.class) {
        return Float.parseFloat(value);
      } else if (type == double.class || type == Double.class) {
        return Double.parseDouble(value);
      } else if (type == boolean.class || type == Boolean.class) {
        if (!value.equals("true") && !value.equals("false")) {
          throw new NumberFormatException("not true or false");
        }
        return Boolean.parseBoolean(value);
      } else if (type == Path.class) {
        return Path.of(value);
      } else if (type == String.class) {
        return value;
      } else if (type.isEnum()) {
        for (Object c : type.getEnumConstants()) {
          if (c.toString().equals(value) || ((Enum<?>) c).name().equals(value)) {
            return c;
          }
        }
        throw new IllegalArgumentException("no such constant");
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + ": " + o.longestName() + " is recorded as '" + value + "', which is not"
          + " a valid " + type.getSimpleName() + " (" + e.getMessage() + ")");
    }
    throw new IllegalStateException(o.longestName() + ": options of type " + type.getName() + " cannot be recorded");
  }

  private static void write(Path runDir, String command, Map<String, String> options) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("command", command);
    doc.put("triad", dev.triad.Triad.version());
    doc.put("options", options);
    try {
      Files.createDirectories(runDir);
      AtomicFiles.writeString(runDir.resolve(FILE), Json.PRETTY.writeValueAsString(doc) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + runDir.resolve(FILE) + ": " + e.getMessage(), e);
    }
  }

  /** A run's recorded options: from options.json, or derived from an older run's config.json. */
  private record Recorded(String command, Map<String, String> options, Path file, boolean older) {}

  private static Recorded read(Path runDir, CommandSpec spec) {
    Path file = runDir.resolve(FILE);
    if (Files.exists(file)) {
      try {
        JsonNode doc = Json.MAPPER.readTree(file.toFile());
        Map<String, String> options = new LinkedHashMap<>();
        doc.path("options").fields().forEachRemaining(e -> options.put(e.getKey(),
            e.getValue().isNull() ? null : e.getValue().asText()));
        return new Recorded(doc.path("command").asText(null), options, file, false);
      } catch (IOException e) {
        throw new IllegalArgumentException("--resume: cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    Path config = runDir.resolve("config.json");
    if (!Files.exists(config)) {
      throw new IllegalArgumentException("--resume: " + runDir + " has neither " + FILE + " nor config.json");
    }
    try {
      return new Recorded(Json.MAPPER.readTree(config.toFile()).path("phase").asText(null),
          fromConfig(Json.MAPPER.readTree(config.toFile()), runDir), config, true);
    } catch (IOException e) {
      throw new IllegalArgumentException("--resume: cannot read " + config + ": " + e.getMessage(), e);
    }
  }

  /** What an older run's config.json says about the options (RunInfo's fields and each phase's settings). */
  static Map<String, String> fromConfig(JsonNode c, Path runDir) {
    Map<String, String> m = new LinkedHashMap<>();
    JsonNode s = c.path("settings");
    String phase = c.path("phase").asText("");
    if (phase.equals("pretrain")) {
      put(m, "--model", c.path("preset"));
      put(m, "--tokenizer", c.path("tokenizer"));
      JsonNode data = s.path("data");
      // a directory of shards given with --data; the embedded corpus is tokenized into <run>/data
      if (data.isTextual() && Files.isDirectory(Path.of(data.asText())) && !Path.of(data.asText()).toAbsolutePath()
          .normalize().endsWith(runDir.getFileName().resolve("data"))) {
        put(m, "--data", data);
      }
    }
    m.put("--precision", c.path("precision").asText("f32"));
    put(m, "--batch", s.has("batch_pairs") ? s.path("batch_pairs") : s.path("batch"));
    put(m, "--seq", s.path("seq_len"));
    put(m, "--total-batch", s.path("total_batch_tokens"));
    put(m, phase.equals("grpo") || phase.equals("ppo") ? "--policy" : "--base", s.path("base_run"));
    put(m, "--reward", s.path("reward_run"));
    put(m, "--margin", s.path("margin"));
    put(m, "--beta", s.path("beta"));
    put(m, "--group", s.path("group"));
    put(m, "--prompts", s.path("prompts_per_step"));
    put(m, "--max-new-tokens", s.path("max_new_tokens"));
    put(m, "--clip", s.path("clip_eps"));
    if (s.path("packing").isTextual()) {
      m.put("--no-packing", Boolean.toString(s.path("packing").asText().equals("padded")));
    }
    JsonNode train = s.path("train");
    String[][] trainKeys = {{"--steps", "steps"}, {"--lr", "lr"}, {"--min-lr-ratio", "minLrRatio"},
        {"--warmup", "warmupSteps"}, {"--decay-fraction", "decayFraction"}, {"--weight-decay", "weightDecay"},
        {"--grad-clip", "gradClip"}, {"--seed", "seed"}, {"--eval-every", "evalEvery"},
        {"--sample-every", "sampleEvery"}, {"--checkpoint-every", "checkpointEvery"}, {"--keep", "keepCheckpoints"},
        {"--beta1", "beta1"}, {"--beta2", "beta2"}, {"--eps", "eps"}};
    for (String[] k : trainKeys) {
      put(m, k[0], train.path(k[1]));
    }
    for (String[] k : new String[][] {{"--schedule", "schedule"}, {"--data-order", "dataOrder"}}) {
      if (train.path(k[1]).isTextual()) {
        m.put(k[0], train.path(k[1]).asText().toLowerCase(Locale.ROOT));
      }
    }
    if (phase.equals("ppo") && s.path("options").isTextual()) {
      // Ppo recorded its Options record's toString(): "Options[runDir=..., steps=100, batch=16, ...]"
      Map<String, String> ppo = new LinkedHashMap<>();
      Matcher r = Pattern.compile("(\\w+)=([^,\\]]*)").matcher(s.path("options").asText());
      while (r.find()) {
        ppo.put(r.group(1), r.group(2));
      }
      String[][] ppoKeys = {{"--steps", "steps"}, {"--batch", "batch"}, {"--mini-batch", "miniBatch"},
          {"--epochs", "epochs"}, {"--lr", "lr"}, {"--beta", "beta"}, {"--target-kl", "targetKl"},
          {"--max-new-tokens", "maxNewTokens"}, {"--eval-prompts", "evalPrompts"}, {"--seed", "seed"},
          {"--checkpoint-every", "checkpointEvery"}, {"--keep", "keepCheckpoints"}, {"--policy", "policyRun"},
          {"--reward", "rewardRun"}, {"--beta1", "beta1"}, {"--beta2", "beta2"}, {"--eps", "eps"}};
      for (String[] k : ppoKeys) {
        if (ppo.containsKey(k[1])) {
          m.put(k[0], ppo.get(k[1]));
        }
      }
      if (ppo.containsKey("adaptiveKl")) {
        m.put("--fixed-beta", Boolean.toString(!Boolean.parseBoolean(ppo.get("adaptiveKl"))));
      }
      if (ppo.containsKey("dataOrder")) {
        m.put("--data-order", ppo.get("dataOrder").toLowerCase(Locale.ROOT));
      }
    }
    return m;
  }

  private static void put(Map<String, String> m, String option, JsonNode v) {
    if (!v.isMissingNode() && !v.isNull()) {
      m.put(option, v.asText());
    }
  }
}
