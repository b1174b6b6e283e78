package dev.triad.cli.label;

import java.nio.file.Path;

/**
 * The files of one labelling job, all beside {@code --out}: the training pairs themselves, the
 * judgements that are not pairs, and the items being judged.
 *
 * @param pairs {@code labels.jsonl}: one {@code {"prompt","chosen","rejected",...}} line per "A better"
 *     or "B better", the file {@code triad reward --data} and {@code triad dpo --data} read
 * @param skipped {@code labels.skipped.jsonl}: ties and both-bad, which are no training pair (the pair
 *     readers refuse a line without chosen and rejected, so they live apart)
 * @param items {@code labels.items.jsonl}: the prompts and sampled replies, written once, so a restart
 *     shows the very same items (sampling again need not give the same replies, e.g. on a GPU)
 */
public record LabelFiles(Path pairs, Path skipped, Path items) {
  /** The files of the job whose pairs go to {@code out}. */
  public static LabelFiles beside(Path out) {
    String name = out.getFileName().toString();
    String base = name.endsWith(".jsonl") ? name.substring(0, name.length() - ".jsonl".length()) : name;
    return new LabelFiles(out, out.resolveSibling(base + ".skipped.jsonl"), out.resolveSibling(base + ".items.jsonl"));
  }
}
