package dev.triad.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Documents to training shards: the logic behind {@code triad tokenize}.
 *
 * <ol>
 *   <li>Split the documents into train and validation by document (never mid-document, so no
 *       validation text leaks into training): exactly {@code round(valFraction * n)} documents,
 *       at least one when the fraction is positive and there are two or more, chosen by a
 *       shuffle seeded with {@code seed}. Each split keeps the documents' original order.</li>
 *   <li>Tokenize each split into one stream with the end-of-text token <em>before</em> every
 *       document, as llm.c's data scripts do: a window that starts at a document boundary then
 *       begins with end-of-text, which is also how generation is prompted.</li>
 *   <li>Cut each stream into shards of at most {@code shardTokens} tokens, written atomically as
 *       {@code DIR/train_000000.bin, DIR/train_000001.bin, ..., DIR/val_000000.bin} in llm.c's format
 *       ({@link TokenShard}). Shards of ours left in {@code DIR} from an earlier, larger run
 *       (names {@code train_NNNNNN.bin} / {@code val_NNNNNN.bin} not written now) are deleted, so a
 *       {@code train_*.bin} glob sees only this run.</li>
 * </ol>
 */
public final class Tokenize {
  private Tokenize() {}

  /** What a run wrote. */
  public record Summary(String tokenizer, int trainDocuments, int valDocuments, long trainTokens,
      long valTokens, List<Path> trainFiles, List<Path> valFiles, List<Path> removedFiles) {
    /** All files written, train first. */
    public List<Path> files() {
      List<Path> all = new ArrayList<>(trainFiles);
      all.addAll(valFiles);
      return all;
    }
  }

  /**
   * Tokenizes {@code documents} into shards in {@code outDir} (created if needed).
   *
   * @param valFraction the share of documents held out for validation, in {@code [0, 1)}
   * @param shardTokens the most tokens per shard file, in {@code [1, 2^31 - 9]}
   * @param seed chooses the validation documents
   * @throws IllegalArgumentException for an empty document list, an out-of-range fraction or shard
   *     size, or a tokenizer whose ids do not fit uint16
   */
  public static Summary run(List<String> documents, Tokenizer tokenizer, Path outDir, double valFraction,
      long shardTokens, long seed) throws IOException {
    if (documents.isEmpty()) {
      throw new IllegalArgumentException("no documents to tokenize");
    }
    if (!(valFraction >= 0 && valFraction < 1)) {
      throw new IllegalArgumentException("val fraction must be in [0, 1), got " + valFraction);
    }
    if (shardTokens < 1 || shardTokens > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("shard tokens must be in [1, " + (Integer.MAX_VALUE - 8)
          + "] (the llm.c header counts tokens in an int32), got " + shardTokens);
    }
    if (tokenizer.vocabSize() > TokenShard.MAX_TOKEN + 1) {
      throw new IllegalArgumentException("tokenizer " + tokenizer.name() + " has " + tokenizer.vocabSize()
          + " ids; uint16 shards hold at most " + (TokenShard.MAX_TOKEN + 1));
    }
    int n = documents.size();
    boolean[] isVal = chooseValidation(n, valFraction, seed);
    Files.createDirectories(outDir);

    List<Path> trainFiles = new ArrayList<>();
    List<Path> valFiles = new ArrayList<>();
    ShardWriter train = new ShardWriter(outDir, "train", (int) shardTokens, trainFiles);
    ShardWriter val = new ShardWriter(outDir, "val", (int) shardTokens, valFiles);
    int valDocs = 0;
    for (int i = 0; i < n; i++) {
      ShardWriter w = isVal[i] ? val : train;
      valDocs += isVal[i] ? 1 : 0;
      w.add(tokenizer.eotToken());
      w.addAll(tokenizer.encode(documents.get(i)));
    }
    train.finish();
    val.finish();
    List<Path> removed = removeStale(outDir, trainFiles, valFiles);
    return new Summary(tokenizer.name(), n - valDocs, valDocs, train.total, val.total,
        List.copyOf(trainFiles), List.copyOf(valFiles), removed);
  }

  /** Which documents are validation: a seeded choice of exactly the rounded fraction. */
  static boolean[] chooseValidation(int n, double valFraction, long seed) {
    long k = Math.round(valFraction * n);
    if (valFraction > 0 && n >= 2) {
      k = Math.max(1, Math.min(k, n - 1));
    } else if (n < 2) {
      k = 0;
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplitMix64.of(seed, 0x7A1L).shuffle(order);
    boolean[] isVal = new boolean[n];
    for (int i = 0; i < k; i++) {
      isVal[order[i]] = true;
    }
    return isVal;
  }

  private static List<Path> removeStale(Path dir, List<Path> trainFiles, List<Path> valFiles) throws IOException {
    Set<Path> written = new HashSet<>();
    for (Path p : trainFiles) {
      written.add(p.getFileName());
    }
    for (Path p : valFiles) {
      written.add(p.getFileName());
    }
    List<Path> removed = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "{train,val}_*.bin")) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (name.matches("(train|val)_\\d{6}\\.bin") && !written.contains(p.getFileName())) {
          removed.add(p);
        }
      }
    }
    removed.sort(null);
    for (Path p : removed) {
      Files.delete(p);
    }
    return List.copyOf(removed);
  }

  /** Buffers one split's stream and writes a shard each time the buffer is full. */
  private static final class ShardWriter {
    private final Path dir;
    private final String split;
    private final int capacity;
    private final List<Path> files;
    private int[] buf = new int[1 << 16];
    private int len;
    long total;

    ShardWriter(Path dir, String split, int capacity, List<Path> files) {
      this.dir = dir;
      this.split = split;
      this.capacity = capacity;
      this.files = files;
    }

    void add(int token) throws IOException {
      if (len == capacity) {
        flush();
      }
      if (len == buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(capacity, 2L * buf.length));
      }
      buf[len++] = token;
      total++;
    }

    void addAll(int[] tokens) throws IOException {
      for (int t : tokens) {
        add(t);
      }
    }

    private void flush() throws IOException {
      Path file = dir.resolve(String.format("%s_%06d.bin", split, files.size()));
      TokenShard.write(file, len == buf.length ? buf : Arrays.copyOf(buf, len));
      files.add(file);
      len = 0;
    }

    void finish() throws IOException {
      if (len > 0) {
        flush();
      }
    }
  }
}
