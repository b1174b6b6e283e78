package dev.triad.train;

import dev.triad.InvalidOptionException;
import dev.triad.io.AtomicFiles;
import dev.triad.io.Json;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
import dev.triad.nn.Precision;
import dev.triad.tensor.Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code <run>/config.json}: what a later command needs to rebuild the model of a run (architecture
 * and tokenizer), the precision it trained in ("f32" or "bf16"; absent in runs older than the
 * mixed-precision policy, which were f32), plus the settings it was trained with, for the record.
 * Checkpoints hold f32 values whatever the precision, so any later command may load a run in
 * either precision.
 */
public record RunInfo(String phase, String preset, int nLayer, int nHead, int nEmbd, int vocabSize, int blockSize,
    String tokenizer, String precision, Map<String, Object> settings) {
  /** What to write beside this thread's next config.json (the CLI's options.json), or null. */
  private static final ThreadLocal<java.util.function.Consumer<Path>> BESIDE = new ThreadLocal<>();

  /**
   * Has {@code action} run with the run directory right after this thread's next
   * {@link #write(Path, boolean)}, i.e. once the phase has validated and starts writing the run
   * (cli.RunOptions records options.json so); null clears it.
   */
  public static void besideNextWrite(java.util.function.Consumer<Path> action) {
    if (action == null) {
      BESIDE.remove();
    } else {
      BESIDE.set(action);
    }
  }

  /** A run trained in f32. */
  public static RunInfo of(String phase, GptConfig cfg, String tokenizer, Map<String, Object> settings) {
    return of(phase, cfg, tokenizer, Precision.F32, settings);
  }

  public static RunInfo of(String phase, GptConfig cfg, String tokenizer, Precision precision,
      Map<String, Object> settings) {
    return new RunInfo(phase, cfg.name(), cfg.nLayer(), cfg.nHead(), cfg.nEmbd(), cfg.vocabSize(), cfg.blockSize(),
        tokenizer, precision.toString(), new LinkedHashMap<>(settings));
  }

  /** The precision the run trained in (f32 for runs that predate the record). */
  public Precision trainedPrecision() {
    return precision == null ? Precision.F32 : Precision.parse(precision);
  }

  /**
   * {@code seqLen}, checked to fit this run's context for a phase that trains on from it (read from
   * {@code dir}): refused, not clamped, since a clamped run would not train what was asked.
   */
  public int requireContext(int seqLen, Path dir) {
    if (seqLen > blockSize) {
      throw new InvalidOptionException("seqLen", " " + seqLen + ": must be <= the base run's context of " + blockSize
          + " tokens (" + dir + ")");
    }
    return seqLen;
  }

  public GptConfig modelConfig() {
    return new GptConfig(preset, nLayer, nHead, nEmbd, vocabSize, blockSize);
  }

  /**
   * {@link #write(Path)}; when {@code resume}, only after checking this run is the one recorded there
   * ({@link ResumeCheck}: same model, tokenizer, precision and settings but for those that may change).
   */
  public void write(Path runDir, boolean resume) {
    if (resume) {
      ResumeCheck.require(runDir, this);
    }
    write(runDir);
    java.util.function.Consumer<Path> beside = BESIDE.get();
    if (beside != null) {
      BESIDE.remove();
      beside.accept(runDir);
    }
  }

  public void write(Path runDir) {
    try {
      Files.createDirectories(runDir);
      AtomicFiles.writeString(runDir.resolve("config.json"), Json.PRETTY.writeValueAsString(this));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + runDir.resolve("config.json"), e);
    }
  }

  public static RunInfo read(Path runDir) {
    Path file = runDir.resolve("config.json");
    try {
      return Json.MAPPER.readValue(file.toFile(), RunInfo.class);
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("no run in " + runDir + ": " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The model of a run, with the weights of its latest checkpoint (or {@code checkpoint} when given),
   * in the device's default precision.
   */
  public static Gpt loadModel(Path runDir, Path checkpoint, Device device) {
    return loadModel(runDir, checkpoint, device, Precision.defaultFor(device));
  }

  /**
   * The model of a run in {@code precision}: the checkpoint's f32 values are rounded (to nearest
   * even) into a bf16 model. For generation and frozen reference models; training continues from
   * the masters through {@link Checkpoints#load} with an optimizer.
   */
  public static Gpt loadModel(Path runDir, Path checkpoint, Device device, Precision precision) {
    RunInfo info = read(runDir);
    return Checkpoints.loadWeights(Checkpoints.givenOrLatest(runDir, checkpoint),
        new Gpt(info.modelConfig(), device, precision, 0));
  }
}
