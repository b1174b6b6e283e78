package dev.triad.train;

import dev.triad.InvalidOptionException;
import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.nn.Module;
import dev.triad.optim.AdamW;
import dev.triad.tensor.DType;
import dev.triad.tensor.Scope;
import dev.triad.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training checkpoints: one safetensors file per saved step in {@code <run>/checkpoints/}, holding
 * the model's f32 values ({@code "model.<name>"}: the optimizer's f32 master weights, so a file does not
 * depend on the precision the run trained in), the AdamW moments ({@code "adam_m.<name>"}, {@code "adam_v.<name>"}) and, in the
 * metadata, the step, the optimizer's step count and the trainer's state (data position, ...).
 * Each file is written atomically (temp file + fsync + rename), and only the newest {@code keep}
 * are kept, so a crash at any moment leaves the previous checkpoint intact.
 */
public final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

  public static final String FORMAT = "triad-checkpoint-1";
  private static final Pattern NAME = Pattern.compile("step_(\\d{8})\\.safetensors");

  private final Path dir;
  private final int keep;

  public Checkpoints(Path runDir, int keep) {
    this.dir = runDir.resolve("checkpoints");
    this.keep = keep;
  }

  public Path directory() {
    return dir;
  }

  /**
   * A module trained with its own optimizer, stored under a name prefix: {@code ""} for a run's model
   * (so every run's checkpoint loads as a model), e.g. {@code "critic."} for PPO's critic beside it.
   * Its tensors are {@code <prefix>model.<name>}, {@code <prefix>adam_m.<name>} and
   * {@code <prefix>adam_v.<name>}, its optimizer's step count the metadata {@link #stepKey()}.
   *
   * @param optimizer over {@code module.parameters()}, in order; null: the module alone
   */
  public record Group(String prefix, Module module, AdamW optimizer) {
    /** The model of a run, under no prefix. */
    public static Group main(Module module, AdamW optimizer) {
      return new Group("", module, optimizer);
    }

    /** The metadata key of the optimizer's step count: "optimizer_step", "critic_optimizer_step", ... */
    public String stepKey() {
      return prefix.replace('.', '_') + "optimizer_step";
    }
  }

  /**
   * Writes the checkpoint of {@code step} and prunes older ones; returns its path. With an
   * optimizer (over {@code model.parameters()}, in order) the model is stored as its f32 masters;
   * without one, each parameter widened to f32.
   */
  public Path save(long step, Module model, AdamW optimizer, Map<String, String> trainerState) {
    return save(step, List.of(Group.main(model, optimizer)), trainerState);
  }

  /** The same for several modules, each under its {@link Group#prefix()}; the first is the run's model. */
  public Path save(long step, List<Group> groups, Map<String, String> trainerState) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    List<Tensor> widened = new ArrayList<>(); // f32 copies of bf16 parameters, closed after writing
    try {
      for (Group g : groups) {
        put(tensors, g, widened);
      }
      return write(step, tensors, trainerState, groups);
    } finally {
      widened.forEach(Tensor::close);
    }
  }

  private static void put(Map<String, Tensor> tensors, Group g, List<Tensor> widened) {
    List<String> names = new ArrayList<>(g.module().namedParameters().keySet());
    AdamW optimizer = g.optimizer();
    for (int i = 0; i < names.size(); i++) {
      Tensor p = g.module().namedParameters().get(names.get(i));
      Tensor value;
      if (optimizer != null) {
        requireSameParameter(optimizer, i, p, names.get(i));
        value = optimizer.master(i);
      } else if (p.dtype() == DType.F32) {
        value = p;
      } else {
        value = unscopedF32(p);
        widened.add(value);
      }
      tensors.put(g.prefix() + "model." + names.get(i), value);
    }
    if (optimizer != null) {
      for (int i = 0; i < names.size(); i++) {
        tensors.put(g.prefix() + "adam_m." + names.get(i), optimizer.firstMoment(i));
        tensors.put(g.prefix() + "adam_v." + names.get(i), optimizer.secondMoment(i));
      }
    }
  }

  private Path write(long step, Map<String, Tensor> tensors, Map<String, String> trainerState, List<Group> groups) {
    Map<String, String> meta = new LinkedHashMap<>(trainerState);
    meta.put("format", FORMAT);
    meta.put("step", Long.toString(step));
    for (Group g : groups) {
      meta.put(g.stepKey(), Long.toString(g.optimizer() == null ? 0 : g.optimizer().stepCount()));
    }
    Path file = dir.resolve(String.format("step_%08d.safetensors", step));
    try {
      Files.createDirectories(dir);
      Safetensors.write(file, tensors, meta);
      List<Path> all = list();
      for (int i = 0; i < all.size() - keep; i++) {
        Files.deleteIfExists(all.get(i));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  /** Checkpoint files, oldest first. */
  public List<Path> list() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir, e);
    }
  }

  public Optional<Path> latest() {
    List<Path> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** {@code checkpoint} when given, else the latest in {@code runDir} (the one a command loads by default). */
  public static Path givenOrLatest(Path runDir, Path checkpoint) {
    return checkpoint != null ? checkpoint : new Checkpoints(runDir, 1).latest()
        .orElseThrow(() -> new IllegalArgumentException("no checkpoint in " + runDir.resolve("checkpoints")));
  }

  /**
   * Before a run writes anything: {@code --resume} needs a checkpoint in {@code runDir}, and a
   * fresh run must not start in a directory holding another run's checkpoints (they would outrank
   * its own, and keep-k pruning would delete the new ones).
   */
  public static void checkRunDirectory(Path runDir, boolean resume) {
    Optional<Path> existing = new Checkpoints(runDir, 1).latest();
    if (resume && existing.isEmpty()) {
      throw new InvalidOptionException("resume", ": no checkpoint in " + runDir.resolve("checkpoints"));
    }
    if (!resume && existing.isPresent()) {
      throw new InvalidOptionException("runDir", " " + runDir + " already holds checkpoints (latest "
          + existing.get().getFileName() + "); continue that run with {resume}, or choose another {runDir}");
    }
  }

  /**
   * {@link #checkRunDirectory(Path, boolean)}, and on {@code resume} that {@code steps} (the step to
   * train to) lies beyond the latest checkpoint's step: otherwise there is nothing to train.
   */
  public static void checkRunDirectory(Path runDir, boolean resume, long steps) {
    checkRunDirectory(runDir, resume);
    if (resume) {
      Path latest = new Checkpoints(runDir, 1).latest().orElseThrow();
      long at = stepOf(latest);
      if (steps <= at) {
        throw new InvalidOptionException("steps", " " + steps + " is not beyond step " + at
            + " of the latest checkpoint (" + latest.getFileName() + ") to {resume} from; give {steps} above " + at
            + " to train further");
      }
    }
  }

  /**
   * Before a resumed run writes: removes the temporary files an interrupted atomic write left in
   * {@code runDir} and its checkpoints/ (".NAME.HEX.tmp"; only safe while holding the run's
   * {@link RunLock}), printing what it removed.
   */
  public static void removeStaleTemporaries(Path runDir) {
    for (Path dir : List.of(runDir, runDir.resolve("checkpoints"))) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        for (Path p : files.filter(f -> TEMP.matcher(f.getFileName().toString()).matches()).sorted().toList()) {
          Files.deleteIfExists(p);
          LOG.info("note: removed " + p + ", a temporary file left by an interrupted write");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot clean temporary files in " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  /** The temporary names {@link dev.triad.io.AtomicFiles} writes before its rename. */
  private static final Pattern TEMP = Pattern.compile("\\..+\\.[0-9a-f]+\\.tmp");

  /** Step number of a checkpoint file name. */
  public static long stepOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a checkpoint file name: " + file);
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * Loads a checkpoint into an existing model (and optimizer, when given): every parameter must be
   * present with the same shape. Returns the metadata (trainer state, step).
   */
  public static Map<String, String> load(Path file, Module model, AdamW optimizer) {
    return load(file, List.of(Group.main(model, optimizer)));
  }

  /**
   * A new model's weights from {@code file} (no optimizer), for generation or a frozen model: the
   * model when they loaded, closed when they did not (a half-loaded model is of no use).
   */
  public static <M extends Module> M loadWeights(Path file, M model) {
    try {
      load(file, model, null);
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** The same for several modules, each read from under its {@link Group#prefix()}. */
  public static Map<String, String> load(Path file, List<Group> groups) {
    try (SafetensorsFile f = Safetensors.open(file)) {
      Map<String, String> meta = f.metadata();
      if (!FORMAT.equals(meta.get("format"))) {
        throw new IllegalArgumentException(file + " is not a Triad checkpoint (format '" + meta.get("format")
            + "', expected '" + FORMAT + "')");
      }
      requireStepNumber(meta, "step", file);
      for (Group g : groups) {
        requireStepNumber(meta, g.stepKey(), file);
      }
      for (Group g : groups) {
        fill(f, g, file);
        if (g.optimizer() != null) {
          g.optimizer().syncParametersFromMasters(); // bf16 parameter = RNE(master), as a step writes it
          g.optimizer().setStepCount(Long.parseLong(meta.getOrDefault(g.stepKey(), "0")));
        }
      }
      return meta;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  /** The metadata of a checkpoint (step, optimizer steps, trainer state), nothing loaded. */
  public static Map<String, String> metadata(Path file) {
    try (SafetensorsFile f = Safetensors.open(file)) {
      return f.metadata();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  private static void fill(SafetensorsFile f, Group g, Path file) throws IOException {
    List<String> names = new ArrayList<>(g.module().namedParameters().keySet());
    AdamW optimizer = g.optimizer();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      Tensor p = g.module().namedParameters().get(n);
      if (optimizer != null) {
        // the stored f32 values go into the master exactly; the parameter follows after the group
        requireSameParameter(optimizer, i, p, n);
        fill(f, g.prefix() + "model." + n, optimizer.master(i), file);
        fill(f, g.prefix() + "adam_m." + n, optimizer.firstMoment(i), file);
        fill(f, g.prefix() + "adam_v." + n, optimizer.secondMoment(i), file);
      } else {
        fill(f, g.prefix() + "model." + n, p, file); // rounded to nearest even into a bf16 parameter
      }
    }
  }

  /** A metadata step (when present) must be a non-negative integer: it is parsed on resume. */
  private static void requireStepNumber(Map<String, String> meta, String key, Path file) {
    String v = meta.get(key);
    if (v != null && !v.matches("\\d{1,18}")) {
      throw new IllegalArgumentException("checkpoint " + file + ": metadata \"" + key + "\" is '" + v
          + "', not a step number (a non-negative integer); the file is corrupt or not a Triad checkpoint");
    }
  }

  private static void requireSameParameter(AdamW optimizer, int i, Tensor p, String name) {
    if (i >= optimizer.size() || optimizer.parameter(i) != p) {
      throw new IllegalArgumentException("checkpoint: the optimizer's parameter " + i + " is not the model's '" + name
          + "' (the optimizer must be built over model.parameters(), in order)");
    }
  }

  private static Tensor unscopedF32(Tensor p) {
    try (Scope s = Scope.open()) {
      return s.keep(p.to(DType.F32));
    }
  }

  private static void fill(SafetensorsFile f, String name, Tensor target, Path file) throws IOException {
    if (!f.contains(name)) {
      throw new IllegalArgumentException("checkpoint " + file + " has no tensor '" + name + "'");
    }
    long[] shape = f.info(name).shape();
    if (!java.util.Arrays.equals(shape, target.shape())) {
      throw new IllegalArgumentException("checkpoint " + file + ": '" + name + "' has shape "
          + java.util.Arrays.toString(shape) + " but the model expects " + java.util.Arrays.toString(target.shape()));
    }
    float[] values = f.readFloats(name);
    dev.triad.io.FiniteCheck.require(values, file, name); // a NaN weight must not load silently
    target.write(values);
  }
}
