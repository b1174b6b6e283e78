package dev.triad.train;

import dev.triad.io.Safetensors;
import dev.triad.io.SafetensorsFile;
import dev.triad.nn.Module;
import dev.triad.optim.AdamW;
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

/**
 * Training checkpoints: one safetensors file per saved step in {@code <run>/checkpoints/}, holding
 * the model ("model.<name>"), the AdamW moments ("adam_m.<name>", "adam_v.<name>") and, in the
 * metadata, the step, the optimizer's step count and the trainer's state (data position, ...).
 * Each file is written atomically (temp file + fsync + rename), and only the newest {@code keep}
 * are kept, so a crash at any moment leaves the previous checkpoint intact.
 */
public final class Checkpoints {
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

  /** Writes the checkpoint of {@code step} and prunes older ones; returns its path. */
  public Path save(long step, Module model, AdamW optimizer, Map<String, String> trainerState) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    model.namedParameters().forEach((n, t) -> tensors.put("model." + n, t));
    if (optimizer != null) {
      List<String> names = new ArrayList<>(model.namedParameters().keySet());
      for (int i = 0; i < names.size(); i++) {
        tensors.put("adam_m." + names.get(i), optimizer.firstMoment(i));
        tensors.put("adam_v." + names.get(i), optimizer.secondMoment(i));
      }
    }
    Map<String, String> meta = new LinkedHashMap<>(trainerState);
    meta.put("format", FORMAT);
    meta.put("step", Long.toString(step));
    meta.put("optimizer_step", Long.toString(optimizer == null ? 0 : optimizer.stepCount()));
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

  /**
   * Before a run writes anything: {@code --resume} needs a checkpoint in {@code runDir}, and a
   * fresh run must not start in a directory holding another run's checkpoints (they would outrank
   * its own, and keep-k pruning would delete the new ones).
   */
  public static void checkRunDirectory(Path runDir, boolean resume) {
    Optional<Path> existing = new Checkpoints(runDir, 1).latest();
    if (resume && existing.isEmpty()) {
      throw new IllegalArgumentException("--resume: no checkpoint in " + runDir.resolve("checkpoints"));
    }
    if (!resume && existing.isPresent()) {
      throw new IllegalArgumentException(runDir + " already holds checkpoints (latest " + existing.get().getFileName()
          + "); continue that run with --resume, or choose another --out");
    }
  }

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
    try (SafetensorsFile f = Safetensors.open(file)) {
      Map<String, String> meta = f.metadata();
      if (!FORMAT.equals(meta.get("format"))) {
        throw new IllegalArgumentException(file + " is not a Triad checkpoint (format '" + meta.get("format")
            + "', expected '" + FORMAT + "')");
      }
      List<String> names = new ArrayList<>(model.namedParameters().keySet());
      for (int i = 0; i < names.size(); i++) {
        String n = names.get(i);
        Tensor p = model.namedParameters().get(n);
        fill(f, "model." + n, p, file);
        if (optimizer != null) {
          fill(f, "adam_m." + n, optimizer.firstMoment(i), file);
          fill(f, "adam_v." + n, optimizer.secondMoment(i), file);
        }
      }
      if (optimizer != null) {
        optimizer.setStepCount(Long.parseLong(meta.getOrDefault("optimizer_step", "0")));
      }
      return meta;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
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
    target.write(f.readFloats(name));
  }
}
