package dev.triad.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.InvalidOptionException;
import dev.triad.io.Json;
import dev.triad.tensor.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The results of one {@code triad bench} run: the peaks, one row per case, JSON and comparison. */
public final class BenchTable {
  /** One measured case. rate is FLOP/s or bytes/s (unit) at the median, share = rate / the matching peak. */
  public record Row(String name, String shape, String dtype, BenchCase.Unit unit, double medianMs, double rate,
      double share) {}

  private record Raw(BenchCase c, Timing.Samples s) {}

  private final List<Raw> raw = new ArrayList<>();
  /** The final peak: see {@link #finish}. */
  public DevicePeak peak;
  public final String precision;
  public final boolean quick;
  public final String date;
  public final List<Row> rows = new ArrayList<>();

  /** @param peak the peak measured before the cases */
  public BenchTable(DevicePeak peak, String precision, boolean quick) {
    this.peak = peak;
    this.precision = precision;
    this.quick = quick;
    this.date = Instant.now().toString();
  }

  /** Sets up, times (median after warm-up) and frees each case in turn, printing its time when asked. */
  public void run(List<BenchCase> cases, Device device, int warmup, int samples, PrintStream progress) {
    for (BenchCase c : cases) {
      Timing.Samples s;
      try (BenchCase.Prepared p = c.setup().apply(device)) {
        s = Timing.measure(device, p.call(), warmup, samples, device == Device.CUDA ? 1.0 : 0);
      }
      raw.add(new Raw(c, s));
      if (progress != null) {
        progress.printf(Locale.ROOT, "  %-28s %-38s %10.3f ms%n", c.name(), c.shape(), s.median());
        progress.flush();
      }
    }
  }

  /**
   * Fixes the peak and every share. On a busy machine one peak measurement can be slowed by other
   * work, which would put ordinary cases above 100%; so the peak is the best of: the measurement
   * before the cases, {@code after} (the same measurement after them), and the fastest sample of
   * any case of the same kind that is itself a peak probe (a matmul for FLOP/s; any memory-bound
   * case for bytes/s). Cases are reported at their median, so their share stays &lt;= 1 up to noise.
   */
  public void finish(DevicePeak after) {
    double flops = Math.max(peak.flops(), after == null ? 0 : after.flops());
    double bytes = Math.max(peak.bytesPerSecond(), after == null ? 0 : after.bytesPerSecond());
    String from = "";
    for (Raw r : raw) {
      double best = r.c().work() / (r.s().min() / 1e3);
      if (r.c().unit() == BenchCase.Unit.FLOPS && r.c().name().startsWith("matmul") && best > flops) {
        flops = best;
        from += "; FLOP/s from " + r.c().name();
      } else if (r.c().unit() == BenchCase.Unit.BYTES && best > bytes) {
        bytes = best;
        from += "; GB/s from " + r.c().name();
      }
    }
    peak = new DevicePeak(peak.device(), peak.name(), peak.dtype(), flops, bytes, peak.source(),
        peak.detail() + ", best of before/after" + from, peak.date());
    rows.clear();
    for (Raw r : raw) {
      double rate = r.c().work() / (r.s().median() / 1e3);
      double peakRate = r.c().unit() == BenchCase.Unit.FLOPS ? flops : bytes;
      rows.add(new Row(r.c().name(), r.c().shape(), r.c().dtype(), r.c().unit(), r.s().median(), rate,
          peakRate > 0 ? rate / peakRate : 0));
    }
  }

  public static String header() {
    return String.format(Locale.ROOT, "%-28s %-38s %-5s %11s %12s %7s", "case", "shape", "dtype", "median ms",
        "rate", "peak");
  }

  public static String format(Row r) {
    String rate = r.unit() == BenchCase.Unit.FLOPS
        ? String.format(Locale.ROOT, "%.3f TFLOP/s", r.rate() / 1e12)
        : String.format(Locale.ROOT, "%.1f GB/s", r.rate() / 1e9);
    return String.format(Locale.ROOT, "%-28s %-38s %-5s %11.3f %12s %6.1f%%", r.name(), r.shape(), r.dtype(),
        r.medianMs(), rate, 100 * r.share());
  }

  public String peakLine() {
    return String.format(Locale.ROOT, "peak (%s, %s): %.3f TFLOP/s, %.1f GB/s [%s]", peak.device(), peak.name(),
        peak.flops() / 1e12, peak.bytesPerSecond() / 1e9, peak.detail());
  }

  public void print(PrintStream out) {
    out.println(peakLine());
    out.println(header());
    rows.forEach(r -> out.println(format(r)));
  }

  /** The machine-readable form (stable keys). */
  public ObjectNode toJson() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("format", "triad-bench-1");
    root.put("date", date);
    root.put("device", peak.device());
    root.put("device_name", peak.name());
    root.put("precision", precision);
    root.put("quick", quick);
    root.put("triad_version", dev.triad.Triad.version());
    ObjectNode p = root.putObject("peak");
    p.put("flops", peak.flops());
    p.put("bytes_per_s", peak.bytesPerSecond());
    p.put("dtype", peak.dtype());
    p.put("source", peak.source());
    p.put("detail", peak.detail());
    ArrayNode cases = root.putArray("cases");
    for (Row r : rows) {
      ObjectNode c = cases.addObject();
      c.put("case", r.name());
      c.put("shape", r.shape());
      c.put("dtype", r.dtype());
      c.put("median_ms", r.medianMs());
      c.put("unit", r.unit() == BenchCase.Unit.FLOPS ? "flop/s" : "byte/s");
      c.put("rate", r.rate());
      c.put("share_of_peak", r.share());
    }
    return root;
  }

  public void writeJson(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Json.PRETTY.writeValue(file.toFile(), toJson());
  }

  /** Median times (ms) by "case|shape|dtype" from an earlier run's JSON; a clear error for a file that is not one. */
  public static Map<String, Double> readTimes(Path file) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new InvalidOptionException("compare", " " + file + ": cannot read it as JSON ("
          + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (root == null || !root.path("cases").isArray()) {
      throw new InvalidOptionException("compare", " " + file + ": not a triad bench JSON (no \"cases\" array)");
    }
    Map<String, Double> out = new HashMap<>();
    for (JsonNode c : root.get("cases")) {
      double ms = c.path("median_ms").asDouble(Double.NaN);
      if (c.hasNonNull("case") && ms > 0) {
        out.put(key(c.path("case").asText(), c.path("shape").asText(), c.path("dtype").asText()), ms);
      }
    }
    return out;
  }

  static String key(String name, String shape, String dtype) {
    return name + "|" + shape + "|" + dtype;
  }

  /**
   * Prints each case's speed ratio against the earlier run: earlier median / this median, so
   * above 1 is faster now; "-" where the earlier run lacks the case.
   */
  public void printComparison(Map<String, Double> earlier, String label, PrintStream out) {
    out.println("compared with " + label + " (ratio = earlier time / this time; > 1 is faster now):");
    out.println(String.format(Locale.ROOT, "%-28s %-38s %-5s %11s %11s %7s", "case", "shape", "dtype", "median ms",
        "earlier ms", "ratio"));
    for (Row r : rows) {
      Double e = earlier.get(key(r.name(), r.shape(), r.dtype()));
      out.println(String.format(Locale.ROOT, "%-28s %-38s %-5s %11.3f %11s %7s", r.name(), r.shape(), r.dtype(),
          r.medianMs(), e == null ? "-" : String.format(Locale.ROOT, "%.3f", e),
          e == null ? "-" : String.format(Locale.ROOT, "%.2fx", e / r.medianMs())));
    }
  }
}
