package dev.triad.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Batches of next-token-prediction examples from token shards.
 *
 * <p><b>Windows.</b> The shards, in the order given, are read as one token stream of {@code N}
 * tokens. Window {@code w} is the {@code T + 1} tokens starting at {@code w * T}: its first
 * {@code T} are the inputs and its last {@code T} the targets (inputs shifted by one). Windows
 * advance by {@code T}, so consecutive windows share one boundary token and every token after the
 * first is a target exactly once per epoch; there are {@code (N - 1) / T} windows, and the few
 * tokens after the last are unused. A window may span two shards: shard boundaries are arbitrary
 * cuts of one stream (documents are already separated by end-of-text tokens). With T up to the
 * model's context, this is the same example set llm.c's loader reads.
 *
 * <p><b>Order.</b> A training loader visits every window once per epoch, in an order shuffled by
 * {@code (seed, epoch)} (Fisher-Yates driven by {@link SplitMix64}, fully specified in this
 * package, so the order is the same on every JVM). The epochs' orders are concatenated and a batch
 * is the next {@code B} windows of that sequence: no window is dropped, and a batch may straddle
 * two epochs. It never ends. A validation loader ({@link #val}) visits the windows in stream
 * order, one pass: the last batch holds the remaining windows (it may be smaller than {@code B}),
 * then {@link #hasNext()} is false until {@link #reset()}.
 *
 * <p><b>Resume.</b> {@link #state()} is the position of the next window (epoch, index within the
 * epoch's order); a loader over the same shards, B, T and seed given that state by
 * {@link #restore} yields exactly the batches the first one would have yielded next.
 *
 * <p>Not thread-safe: one loader per consumer.
 */
public final class TokenDataLoader {
  /** One batch: {@code inputs} and {@code targets} are row-major {@code [batchSize, seqLen]}. */
  public static final class Batch {
    private final int[] inputs;
    private final int[] targets;
    private final int batchSize;
    private final int seqLen;

    Batch(int[] inputs, int[] targets, int batchSize, int seqLen) {
      this.inputs = inputs;
      this.targets = targets;
      this.batchSize = batchSize;
      this.seqLen = seqLen;
    }

    /** Input tokens, {@code [B * T]}. */
    public int[] inputs() {
      return inputs;
    }

    /** Target tokens, {@code [B * T]}: {@code targets[b*T + t]} follows {@code inputs[b*T + t]}. */
    public int[] targets() {
      return targets;
    }

    /** Rows (B); smaller than the loader's B only for a validation pass's last batch. */
    public int batchSize() {
      return batchSize;
    }

    /** Columns (T). */
    public int seqLen() {
      return seqLen;
    }

    /** Rows [from, to) of this batch (a data-parallel rank's slice). */
    public Batch rows(int from, int to) {
      if (from < 0 || to > batchSize || from >= to) {
        throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + batchSize);
      }
      return new Batch(java.util.Arrays.copyOfRange(inputs, from * seqLen, to * seqLen),
          java.util.Arrays.copyOfRange(targets, from * seqLen, to * seqLen), to - from, seqLen);
    }
  }

  /** Where the next batch starts: the epoch and the index of its next window in that epoch's order. */
  public record State(long epoch, long index) {
    public State {
      if (epoch < 0 || index < 0) {
        throw new IllegalArgumentException("loader state needs epoch >= 0 and index >= 0, got epoch "
            + epoch + ", index " + index);
      }
    }
  }

  private final List<TokenShard> shards;
  private final long[] starts;          // starts[i]: stream offset of shard i's first token
  private final long totalTokens;
  private final int batchSize;
  private final int seqLen;
  private final long seed;
  private final boolean shuffle;
  private final boolean endless;   // training: epoch after epoch; validation: one pass
  private final int windows;
  private int[] order;                  // this epoch's window order (null when not shuffling)
  private long epoch;
  private int index;
  private final int[] window;

  private TokenDataLoader(List<Path> files, int batchSize, int seqLen, long seed, boolean shuffle, boolean endless)
      throws IOException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size B must be >= 1, got " + batchSize);
    }
    if (seqLen < 1) {
      throw new IllegalArgumentException("sequence length T must be >= 1, got " + seqLen);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no token shards given");
    }
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.seed = seed;
    this.shuffle = shuffle;
    this.endless = endless;
    List<TokenShard> opened = new ArrayList<>(files.size());
    this.starts = new long[files.size()];
    long total = 0;
    for (int i = 0; i < files.size(); i++) {
      TokenShard s = TokenShard.open(files.get(i));
      opened.add(s);
      starts[i] = total;
      total += s.size();
    }
    this.shards = List.copyOf(opened);
    this.totalTokens = total;
    if (total < seqLen + 1L) {
      throw new IllegalArgumentException("not enough tokens for one window: found " + total + " tokens in "
          + files.size() + " shard(s) " + files + ", but T + 1 = " + (seqLen + 1L) + " are needed");
    }
    long w = (total - 1) / seqLen;
    if (w > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(w + " windows of T = " + seqLen + " exceed this loader's limit of "
          + (Integer.MAX_VALUE - 8) + "; use a larger T or fewer shards");
    }
    this.windows = (int) w;
    this.window = new int[seqLen + 1];
    startEpoch(0);
  }

  /**
   * A training loader: shuffled per epoch by {@code (seed, epoch)}, endless.
   *
   * @throws java.nio.file.NoSuchFileException or IOException naming a missing or malformed shard
   * @throws IllegalArgumentException if B or T is below 1, or the shards hold fewer than T + 1 tokens
   */
  public static TokenDataLoader train(List<Path> shards, int batchSize, int seqLen, long seed) throws IOException {
    return new TokenDataLoader(shards, batchSize, seqLen, seed, true, true);
  }

  /**
   * A training loader, endless, whose windows come shuffled per epoch by {@code (seed, epoch)} or,
   * when {@code shuffled} is false, in stream (file) order every epoch.
   */
  public static TokenDataLoader train(List<Path> shards, int batchSize, int seqLen, long seed, boolean shuffled)
      throws IOException {
    return new TokenDataLoader(shards, batchSize, seqLen, seed, shuffled, true);
  }

  /** A validation loader: windows in stream order, one pass per {@link #reset()}; see {@link #train}. */
  public static TokenDataLoader val(List<Path> shards, int batchSize, int seqLen) throws IOException {
    return new TokenDataLoader(shards, batchSize, seqLen, 0, false, false);
  }

  /**
   * The files in {@code dir} whose names match {@code glob} (e.g. {@code "train_*.bin"}), sorted by
   * name, which for {@link Tokenize}'s zero-padded names is shard order.
   *
   * @throws NoSuchFileException if {@code dir} does not exist
   * @throws IOException naming the directory and pattern if nothing matches
   */
  public static List<Path> findShards(Path dir, String glob) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "shard directory not found");
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      for (Path p : ds) {
        if (Files.isRegularFile(p)) {
          found.add(p);
        }
      }
    }
    if (found.isEmpty()) {
      throw new IOException(dir + ": no token shards match '" + glob + "'");
    }
    found.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    return found;
  }

  /**
   * {@link #findShards(Path, String)} for a pattern whose last component is a glob, such as
   * {@code "runs/data/train_*.bin"}; a pattern without glob characters names one file.
   */
  public static List<Path> findShards(String pattern) throws IOException {
    Path p = Path.of(pattern);
    String name = p.getFileName() == null ? "" : p.getFileName().toString();
    if (!name.matches(".*[*?\\[{].*")) {
      if (!Files.exists(p)) {
        throw new NoSuchFileException(pattern, null, "token shard not found");
      }
      return List.of(p);
    }
    Path dir = p.getParent() == null ? Path.of(".") : p.getParent();
    return findShards(dir, name);
  }

  private void startEpoch(long e) {
    epoch = e;
    index = 0;
    if (shuffle) {
      if (order == null) {
        order = new int[windows];
      }
      for (int i = 0; i < windows; i++) {
        order[i] = i;
      }
      SplitMix64.of(seed, e).shuffle(order);
    }
  }

  /** Whether {@link #next()} has a batch: always for training, until the pass ends for validation. */
  public boolean hasNext() {
    return endless || index < windows;
  }

  /**
   * The next batch.
   *
   * @throws NoSuchElementException for a validation loader whose pass has ended (call {@link #reset()})
   */
  public Batch next() {
    if (!hasNext()) {
      throw new NoSuchElementException("validation pass over " + windows + " windows has ended; call reset()");
    }
    int rows = endless ? batchSize : Math.min(batchSize, windows - index);
    int[] inputs = new int[rows * seqLen];
    int[] targets = new int[rows * seqLen];
    for (int b = 0; b < rows; b++) {
      if (endless && index == windows) {
        startEpoch(epoch + 1);
      }
      int w = shuffle ? order[index] : index;
      index++;
      readWindow(w);
      System.arraycopy(window, 0, inputs, b * seqLen, seqLen);
      System.arraycopy(window, 1, targets, b * seqLen, seqLen);
    }
    if (endless && index == windows) {
      startEpoch(epoch + 1);         // so state() after an epoch's last batch reads (epoch + 1, 0)
    }
    return new Batch(inputs, targets, rows, seqLen);
  }

  /** Reads window {@code w} (T + 1 tokens from stream offset w * T) into {@link #window}. */
  private void readWindow(int w) {
    long pos = (long) w * seqLen;
    int filled = 0;
    int s = Arrays.binarySearch(starts, pos);
    if (s < 0) {
      s = -s - 2;                    // the last shard starting before pos
    }
    while (filled < window.length) {
      TokenShard shard = shards.get(s);
      long at = pos + filled - starts[s];
      if (at >= shard.size()) {      // also skips empty shards
        s++;
        continue;
      }
      int n = (int) Math.min(window.length - filled, shard.size() - at);
      shard.read(at, window, filled, n);
      filled += n;
      s++;
    }
  }

  /** The position of the next batch. */
  public State state() {
    return new State(epoch, index);
  }

  /**
   * Continues from {@code state}, as returned by {@link #state()} of a loader over the same shards,
   * T and seed.
   *
   * @throws IllegalArgumentException if the index is not below {@link #windowsPerEpoch()}, or a
   *     validation loader is given an epoch other than 0
   */
  public void restore(State state) {
    if (state.index() > windows || (endless && state.index() == windows)) {
      throw new IllegalArgumentException("loader state index " + state.index() + " is outside this loader's "
          + windows + " windows per epoch; was it saved for other shards or another T?");
    }
    if (!endless && state.epoch() != 0) {
      throw new IllegalArgumentException("a validation loader has only epoch 0, got epoch " + state.epoch());
    }
    startEpoch(state.epoch());
    index = (int) state.index();
  }

  /** Back to the start of epoch 0. */
  public void reset() {
    startEpoch(0);
  }

  /** Windows (examples of T + 1 tokens) per epoch: {@code (totalTokens - 1) / T}. */
  public long windowsPerEpoch() {
    return windows;
  }

  /** Batches in one validation pass (the last may be partial), or full batches per training epoch. */
  public long batchesPerEpoch() {
    return endless ? windows / batchSize : (windows + batchSize - 1) / batchSize;
  }

  /** Tokens in all shards together. */
  public long totalTokens() {
    return totalTokens;
  }

  public int batchSize() {
    return batchSize;
  }

  public int seqLen() {
    return seqLen;
  }

  /** The shards, in stream order. */
  public List<TokenShard> shards() {
    return shards;
  }
}
