package dev.triad.cli;

import java.util.Map;

/**
 * The CLI's spelling of the Java API's option names, for messages: the library refuses a setting
 * by its API name ({@link dev.triad.InvalidOptionException#option()}: {@code seqLen}), the CLI
 * user reads the flag they typed ({@code --seq}). Names not listed are spelled as their
 * kebab-case flag ({@code gradAccum} -> {@code --grad-accum}).
 */
final class OptionNames {
  private OptionNames() {}

  /** API names whose flag is not simply their kebab-case form. */
  private static final Map<String, String> IRREGULAR = Map.ofEntries(
      Map.entry("seqLen", "--seq"),
      Map.entry("runDir", "--out"),
      Map.entry("baseRun", "--base"),
      Map.entry("policyRun", "--policy"),
      Map.entry("rewardRun", "--reward"),
      Map.entry("warmupSteps", "--warmup"),
      Map.entry("keepCheckpoints", "--keep"),
      Map.entry("totalBatchTokens", "--total-batch"),
      Map.entry("heldOutPairs", "--held-out"),
      Map.entry("trainPairs", "--pairs"),
      Map.entry("initFromHf", "--init-hf"),
      Map.entry("checkOnly", "--check"),
      Map.entry("dataFile", "--data"),
      Map.entry("dataDir", "--data"),
      Map.entry("planCheck", "--no-plan-check"),
      Map.entry("pack", "--no-packing"));

  /** The flag for an API option name. */
  static String flag(String apiName) {
    String irregular = IRREGULAR.get(apiName);
    return irregular != null ? irregular : "--" + apiName.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
  }
}
