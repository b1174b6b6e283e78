package dev.triad.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.triad.InvalidOptionException;
import dev.triad.io.Json;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The phases' own guard on resume (what the Java API gets; the CLI restores and checks its options
 * before, in cli.RunOptions): the {@link RunInfo} a resumed phase is about to write must describe
 * the run recorded in config.json (model, tokenizer, precision and every setting) except for the
 * settings that may change on resume ({@link #CHANGEABLE}: how far to train, how often to evaluate
 * and save, the device). Called before anything is written.
 */
public final class ResumeCheck {
  private static final Logger LOG = LoggerFactory.getLogger(ResumeCheck.class);

  private ResumeCheck() {}

  /** Settings (flattened names in config.json) that may change on resume. */
  public static final Set<String> CHANGEABLE = Set.of("device", "train.steps", "train.evalEvery",
      "train.sampleEvery", "train.checkpointEvery", "train.keepCheckpoints", "options.runDir", "options.device",
      "options.steps", "options.resume", "options.checkpointEvery", "options.keepCheckpoints");

  /**
   * @throws IllegalArgumentException naming every differing setting with both values
   */
  public static void require(Path runDir, RunInfo now) {
    RunInfo before = RunInfo.read(runDir);
    Map<String, String> a = flatten(before), b = flatten(now);
    List<String> diffs = new ArrayList<>();
    List<String> assumed = new ArrayList<>();
    for (String key : union(a, b)) {
      if (CHANGEABLE.contains(key)) {
        continue;
      }
      if (!a.containsKey(key)) {
        // a setting newer than the run (written by an older Triad): nothing to compare with
        assumed.add(key + " " + b.get(key));
        continue;
      }
      String x = a.get(key), y = b.get(key);
      if (!same(x, y) && !movedWithTheRun(runDir, x, y)) {
        diffs.add(key + " " + (y == null ? "(none)" : y) + " differs from the run's " + (x == null ? "(none)" : x));
      }
    }
    if (!diffs.isEmpty()) {
      throw new InvalidOptionException("resume", ": " + String.join("; ", diffs) + " (" + runDir.resolve("config.json")
          + "); only the steps, evaluation, checkpoint and device settings may change on resume");
    }
    if (!assumed.isEmpty()) {
      LOG.info("note: " + runDir.resolve("config.json") + " does not record " + String.join(", ", assumed)
          + " (settings newer than the run); assumed as now given");
    }
  }

  private static Set<String> union(Map<String, String> a, Map<String, String> b) {
    Set<String> keys = new java.util.TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    return keys;
  }

  /** The run's record as name -> value text; settings nested by '.', Ppo's options string split into fields. */
  private static Map<String, String> flatten(RunInfo info) {
    Map<String, String> m = new TreeMap<>();
    m.put("phase", info.phase());
    m.put("model", info.modelConfig().toString());
    m.put("tokenizer", info.tokenizer());
    m.put("precision", info.trainedPrecision().toString());
    JsonNode settings = Json.MAPPER.valueToTree(info.settings() == null ? Map.of() : info.settings());
    flatten("", settings, m);
    return m;
  }

  private static final Pattern FIELD = Pattern.compile("(\\w+)=([^,\\]]*)");

  private static void flatten(String prefix, JsonNode n, Map<String, String> m) {
    if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        flatten(prefix + e.getKey() + ".", e.getValue(), m);
      }
      return;
    }
    String key = prefix.substring(0, prefix.length() - 1);
    String text = n.isNull() ? null : n.asText();
    if (key.equals("options") && text != null && text.startsWith("Options[")) {
      Matcher f = FIELD.matcher(text); // Ppo records its Options record's toString()
      while (f.find()) {
        m.put("options." + f.group(1), f.group(2));
      }
      return;
    }
    m.put(key, text);
  }

  /** Whether {@code y} lies inside the run directory where {@code x} lay inside the run's earlier place. */
  private static boolean movedWithTheRun(Path runDir, String x, String y) {
    if (x == null || y == null) {
      return false;
    }
    try {
      Path run = runDir.toAbsolutePath().normalize();
      Path py = Path.of(y).toAbsolutePath().normalize();
      return py.startsWith(run) && !py.equals(run) && Path.of(x).normalize().endsWith(run.relativize(py));
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /** Equal texts, numbers or (both naming existing files) the same path. */
  private static boolean same(String x, String y) {
    if (x == null || y == null) {
      return x == null && y == null;
    }
    if (x.equals(y)) {
      return true;
    }
    try {
      if (Double.parseDouble(x) == Double.parseDouble(y)) {
        return true;
      }
    } catch (NumberFormatException e) {
      // not numbers
    }
    try {
      Path px = Path.of(x), py = Path.of(y);
      return Files.exists(px) && Files.exists(py) && Files.isSameFile(px, py);
    } catch (InvalidPathException | java.io.IOException e) {
      return false;
    }
  }
}
