package dev.triad.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * The one Jackson mapper of Triad's own JSON files (config.json, options.json, metrics.jsonl, the
 * phases' reports, bench and device-peak records). Jackson's defaults, configured once here: a
 * mapper is thread-safe once configured, so nothing may reconfigure {@link #MAPPER}. Readers that must
 * refuse what the defaults accept (JSONL data, safetensors headers) keep their own strict mappers.
 */
public final class Json {
  private Json() {}

  /** Default settings: compact output (metrics.jsonl lines), lenient trees for reading. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  /** Indented output, as every file meant for people to read is written (two spaces, Jackson's default printer). */
  public static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

  /** {@code v}, or null (JSON has no NaN or infinity) for a figure that was not measured or diverged. */
  public static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
