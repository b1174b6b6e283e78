package dev.triad.train.audit;

import dev.triad.data.Tokenizer;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.train.RunInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether the given runs share one tokenizer: the name each config.json records, and a fingerprint
 * of the vocabulary itself (SHA-256 over the text of every id, first 12 hex digits), so two runs
 * that record the same name under different vocabularies differ too. A run's model vocabulary must
 * be its tokenizer's (a pretrained run) or that plus the chat template's special tokens (a tuned one).
 */
public final class TokenizerIdentity {
  private TokenizerIdentity() {}

  /** One run's tokenizer. */
  public record RunTokenizer(Path run, String phase, String tokenizer, int tokenizerVocab, int modelVocab,
      String fingerprint) {}

  public static CheckResult check(List<Path> runs) {
    String name = "tokenizer identity";
    if (runs.isEmpty()) {
      return CheckResult.skipped(name, "no runs given");
    }
    List<RunTokenizer> all = new ArrayList<>();
    Map<String, String> fingerprints = new LinkedHashMap<>();
    for (Path dir : runs) {
      RunInfo info = RunInfo.read(dir);
      Tokenizer t = Tokenizer.byName(info.tokenizer());
      String fp = fingerprints.computeIfAbsent(t.name(), k -> fingerprint(t));
      all.add(new RunTokenizer(dir, info.phase(), t.name(), t.vocabSize(), info.vocabSize(), fp));
    }
    Set<String> distinct = new LinkedHashSet<>();
    List<String> examples = new ArrayList<>();
    int badVocab = 0;
    for (RunTokenizer r : all) {
      distinct.add(r.tokenizer() + "/" + r.fingerprint());
      examples.add(r.run() + " (" + r.phase() + "): " + r.tokenizer() + " " + r.fingerprint() + ", vocabulary "
          + r.tokenizerVocab() + ", model " + r.modelVocab());
      if (r.modelVocab() != r.tokenizerVocab() && r.modelVocab() != r.tokenizerVocab() + ChatTemplate.SPECIAL_TOKENS) {
        badVocab++;
      }
    }
    boolean ok = distinct.size() == 1 && badVocab == 0;
    String summary = runs.size() + " runs, " + distinct.size() + " tokenizer(s): " + String.join(", ", distinct)
        + (badVocab > 0 ? "; " + badVocab + " runs' model vocabulary is not their tokenizer's (+4 chat tokens)" : "");
    return new CheckResult(name, ok ? Status.PASS : Status.FAIL, ok ? 0 : runs.size(), summary,
        ok ? List.of() : examples);
  }

  /** SHA-256 over the vocabulary size and each id's text, the first 12 hex digits. */
  static String fingerprint(Tokenizer t) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(Integer.toString(t.vocabSize()).getBytes(StandardCharsets.UTF_8));
      for (int id = 0; id < t.vocabSize(); id++) {
        md.update((byte) 0);
        md.update(t.decode(new int[] {id}).getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
