package dev.triad.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.triad.io.AtomicFiles;
import dev.triad.nn.Gpt;
import dev.triad.nn.GptConfig;
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
 * and tokenizer), plus the settings it was trained with, for the record.
 */
public record RunInfo(String phase, String preset, int nLayer, int nHead, int nEmbd, int vocabSize, int blockSize,
    String tokenizer, Map<String, Object> settings) {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static RunInfo of(String phase, GptConfig cfg, String tokenizer, Map<String, Object> settings) {
    return new RunInfo(phase, cfg.name(), cfg.nLayer(), cfg.nHead(), cfg.nEmbd(), cfg.vocabSize(), cfg.blockSize(),
        tokenizer, new LinkedHashMap<>(settings));
  }

  public GptConfig modelConfig() {
    return new GptConfig(preset, nLayer, nHead, nEmbd, vocabSize, blockSize);
  }

  public void write(Path runDir) {
    try {
      Files.createDirectories(runDir);
      AtomicFiles.writeString(runDir.resolve("config.json"), JSON.writeValueAsString(this));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + runDir.resolve("config.json"), e);
    }
  }

  public static RunInfo read(Path runDir) {
    Path file = runDir.resolve("config.json");
    try {
      return JSON.readValue(file.toFile(), RunInfo.class);
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("no run in " + runDir + ": " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The model of a run, with the weights of its latest checkpoint (or {@code checkpoint} when given). */
  public static Gpt loadModel(Path runDir, Path checkpoint, Device device) {
    RunInfo info = read(runDir);
    Path file = checkpoint != null ? checkpoint : new Checkpoints(runDir, 1).latest()
        .orElseThrow(() -> new IllegalArgumentException("no checkpoint in " + runDir.resolve("checkpoints")));
    Gpt model = new Gpt(info.modelConfig(), device, 0);
    try {
      Checkpoints.load(file, model, null);
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }
}
