package dev.triad.train;

import dev.triad.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-step metrics appended to {@code metrics.jsonl} in the run directory (one JSON object per
 * line, flushed each step so a crash loses nothing), and the console progress line with ETA.
 */
public final class Metrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Metrics.class);

  private final Path file;
  private final BufferedWriter out;
  /**
   * The redrawn bar on a terminal is the command line's (it sets -Dtriad.progressBar=true): a
   * library run logs its progress lines instead, so an application's logger gets them.
   */
  private final boolean interactive = Boolean.getBoolean(PROGRESS_BAR) && System.console() != null;
  private final long totalSteps;
  private final long startNanos = System.nanoTime();
  private final long firstStep;

  /**
   * Opens (or continues) the metrics file. When resuming at {@code resumeStep}, lines of later
   * steps — written by a run that went past its last checkpoint — are dropped first, and so is a
   * last line cut off mid-write (a run killed while logging), with a warning; a malformed line
   * anywhere else is an error naming its line number.
   */
  public Metrics(Path runDir, long totalSteps, long resumeStep) {
    this(runDir.resolve("metrics.jsonl"), totalSteps, resumeStep, true);
  }

  /**
   * The metrics of a rank other than 0 in a data-parallel run: nothing written or logged (rank 0
   * writes the job's metrics file and log).
   */
  public static Metrics silent(long totalSteps, long resumeStep) {
    return new Metrics(null, totalSteps, resumeStep, false);
  }

  private Metrics(Path file, long totalSteps, long resumeStep, boolean written) {
    this.file = file;
    this.totalSteps = totalSteps;
    this.firstStep = resumeStep;
    if (!written) {
      out = null;
      return;
    }
    try {
      if (resumeStep > 0 && Files.exists(file)) {
        List<String> kept = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i);
          if (line.isBlank()) {
            continue;
          }
          com.fasterxml.jackson.databind.JsonNode rec;
          try {
            rec = Json.MAPPER.readTree(line);
          } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            if (i == lines.size() - 1) {
              LOG.warn(file + ": the last line (" + line.length() + " characters) was cut off mid-write, e.g. by a"
                  + " kill; removed");
              continue;
            }
            throw new IllegalStateException(file + ":" + (i + 1) + ": not a JSON record (" + e.getOriginalMessage()
                + "); fix or remove that line to resume");
          }
          if (rec.path("step").asLong(Long.MAX_VALUE) <= resumeStep) {
            kept.add(line);
          }
        }
        dev.triad.io.AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
      } else if (resumeStep == 0) {
        Files.deleteIfExists(file);
      }
      out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metrics to " + file, e);
    }
  }

  /** Appends one record; {@code values} keep their insertion order. */
  public void log(Map<String, Object> values) {
    if (out == null) {
      return;
    }
    try {
      out.write(Json.MAPPER.writeValueAsString(values));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metrics to " + file, e);
    }
  }

  /** The system property with which a front end asks for the terminal progress bar. */
  public static final String PROGRESS_BAR = "triad.progressBar";

  /** The progress line: a bar with ETA on a terminal, a logged line every {@code every} steps otherwise. */
  public void progress(long step, String summary, int every) {
    if (out == null) {
      return;
    }
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    long done = step - firstStep;
    double eta = done > 0 ? elapsed / done * (totalSteps - step) : Double.NaN;
    String line = String.format("step %d/%d %s | %s elapsed, ETA %s", step, totalSteps, summary,
        duration(elapsed), Double.isNaN(eta) ? "?" : duration(eta));
    if (interactive) {
      int width = 20;
      int filled = (int) (width * step / Math.max(1, totalSteps));
      System.out.print("\r[" + "=".repeat(filled) + " ".repeat(width - filled) + "] " + line + "   ");
      if (step == totalSteps) {
        System.out.println();
      }
    } else if (step == firstStep + 1 || step % every == 0 || step == totalSteps) {
      LOG.info(line);
    }
  }

  /** Logs a message on its own line (not mixed into the progress bar). */
  public void println(String message) {
    if (out == null) {
      return;
    }
    if (interactive) {
      System.out.println();
    }
    LOG.info(message);
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60)
        : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
  }

  /** A record builder that keeps key order. */
  public static Map<String, Object> record() {
    return new LinkedHashMap<>();
  }

  @Override
  public void close() {
    if (out == null) {
      return;
    }
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
