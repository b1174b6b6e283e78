package dev.triad.profile;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.triad.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chrome-trace JSON (the Trace Event Format that chrome://tracing and Perfetto read): a
 * {@code traceEvents} array of complete events ({@code "ph": "X"}) with name, category, start
 * {@code ts} and duration {@code dur} in microseconds, process and thread ids.
 */
final class ChromeTrace {
  /** One range: start relative to the run's start and duration, both in nanoseconds. */
  record Event(String name, String cat, long startNanos, long durNanos, long tid) {}

  private ChromeTrace() {}

  /** Writes {@code events} to {@code file} atomically, ordered by start (enclosing ranges first). */
  static void write(Path file, List<Event> events, String device) {
    List<Event> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparingLong(Event::startNanos).thenComparing(Comparator.comparingLong(Event::durNanos)
        .reversed()));
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      AtomicFiles.write(file, os -> {
        try (JsonGenerator g = new JsonFactory().createGenerator(os, JsonEncoding.UTF8)) {
          g.writeStartObject();
          g.writeArrayFieldStart("traceEvents");
          for (Event e : sorted) {
            g.writeStartObject();
            g.writeStringField("name", e.name());
            g.writeStringField("cat", e.cat());
            g.writeStringField("ph", "X");
            g.writeNumberField("ts", e.startNanos() / 1e3);
            g.writeNumberField("dur", Math.max(0, e.durNanos()) / 1e3);
            g.writeNumberField("pid", 1);
            g.writeNumberField("tid", e.tid());
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeStringField("displayTimeUnit", "ms");
          g.writeObjectFieldStart("otherData");
          g.writeStringField("producer", "triad --trace");
          g.writeStringField("device", device);
          g.writeEndObject();
          g.writeEndObject();
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the trace " + file + ": " + e.getMessage(), e);
    }
  }
}
