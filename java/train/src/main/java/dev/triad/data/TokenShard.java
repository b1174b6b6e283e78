package dev.triad.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One file of tokens in llm.c's shard format, so shards made by llm.c's and nanoGPT-style scripts
 * ({@code fineweb.py}, {@code tinyshakespeare.py}, ...) train here unchanged and ours train there:
 *
 * <pre>
 *   header: 256 x int32 little-endian (1024 bytes)
 *           [0] magic 20240520   [1] version 1   [2] token count N   [3..255] zero
 *   body:   N x uint16 little-endian token ids
 * </pre>
 *
 * uint16 holds any GPT-2 id (&lt; 50257) at half the bytes of int32. (llm.c's version 2, uint32
 * tokens under magic 20240801 for Llama 3, is not supported.)
 *
 * <p>A shard is read through a memory map: opening is instant whatever the size, the OS pages in
 * only what training touches and shares the pages between processes. {@link #write} is atomic
 * (temp file in the same directory, fsync, rename), so an interrupted run leaves either the old
 * file or the complete new one, never a truncated shard under the real name.
 *
 * <p>Instances are immutable and safe to read from several threads.
 */
public final class TokenShard {
  /** {@code header[0]}: llm.c's magic number for token shards. */
  public static final int MAGIC = 20240520;
  /** {@code header[1]}: the only version understood (uint16 tokens). */
  public static final int VERSION = 1;
  /** Header length in int32s. */
  public static final int HEADER_INTS = 256;
  /** Header length in bytes. */
  public static final int HEADER_BYTES = HEADER_INTS * Integer.BYTES;
  /** The largest token id a uint16 shard can hold. */
  public static final int MAX_TOKEN = 0xFFFF;

  /** Tokens per mapped segment: a MappedByteBuffer is limited to 2 GiB, so big shards take several. */
  private static final int SEGMENT_TOKENS = 1 << 29;

  private final Path path;
  private final long size;
  private final ByteBuffer[] segments;

  private TokenShard(Path path, long size, ByteBuffer[] segments) {
    this.path = path;
    this.size = size;
    this.segments = segments;
  }

  /**
   * Writes {@code tokens} to {@code file} as a shard, atomically (see the class comment). The
   * parent directory must exist.
   *
   * @throws IllegalArgumentException naming the file, index and value of the first token outside
   *     {@code [0, 65535]}, before anything is written
   * @throws IOException if writing fails (the temp file is removed)
   */
  public static void write(Path file, int[] tokens) throws IOException {
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] > MAX_TOKEN) {
        throw new IllegalArgumentException(file + ": token id " + tokens[i] + " at index " + i
            + " does not fit a uint16 shard (ids must be in [0, " + MAX_TOKEN + "])");
      }
    }
    Path absolute = file.toAbsolutePath();
    Path dir = absolute.getParent();
    Path tmp = null;
    FileChannel created = null;
    for (int attempt = 0; created == null; attempt++) {
      // not Files.createTempFile: its files are mode 0600, and shards should get the umask's mode
      tmp = dir.resolve("." + absolute.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
      try {
        created = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        if (attempt == 100) {
          throw e;
        }
      }
    }
    try {
      try (FileChannel ch = created) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0, MAGIC).putInt(4, VERSION).putInt(8, tokens.length);
        writeFully(ch, header);
        ByteBuffer body = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int t : tokens) {
          if (!body.hasRemaining()) {
            body.flip();
            writeFully(ch, body);
            body.clear();
          }
          body.putShort((short) t);
        }
        body.flip();
        writeFully(ch, body);
        ch.force(true);
      }
      try {
        Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(file + ": the file system cannot rename atomically; shard not written", e);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    syncDirectory(dir);
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** Makes the rename durable; best effort, since not every platform can open a directory. */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // the data itself was fsynced; only the directory entry's durability is not guaranteed
    }
  }

  /**
   * Opens and validates a shard and maps its tokens.
   *
   * @throws NoSuchFileException if the file does not exist
   * @throws IOException naming the file and the problem: shorter than the 1024-byte header, bad
   *     magic (found vs expected), unsupported version, negative token count, or a length that
   *     does not match the header's token count (a truncated or padded file)
   */
  public static TokenShard open(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "token shard not found");
    }
    if (Files.isDirectory(file)) {
      throw new IOException(file + ": is a directory, not a token shard");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long bytes = ch.size();
      if (bytes < HEADER_BYTES) {
        throw new IOException(file + ": " + bytes + " bytes is shorter than the " + HEADER_BYTES
            + "-byte llm.c shard header; not a token shard (or truncated)");
      }
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      while (header.hasRemaining()) {
        if (ch.read(header, header.position()) < 0) {
          throw new IOException(file + ": unexpected end of file inside the header");
        }
      }
      int magic = header.getInt(0);
      int version = header.getInt(4);
      int count = header.getInt(8);
      if (magic != MAGIC) {
        throw new IOException(file + ": bad magic number " + magic + " in header[0], expected "
            + MAGIC + " (llm.c token shard)" + (magic == 20240801 ? "; 20240801 is llm.c's uint32 Llama 3 format, not supported" : ""));
      }
      if (version != VERSION) {
        throw new IOException(file + ": unsupported shard version " + version + " in header[1], expected "
            + VERSION + " (uint16 tokens)");
      }
      if (count < 0) {
        throw new IOException(file + ": negative token count " + count + " in header[2]");
      }
      long expected = HEADER_BYTES + 2L * count;
      if (bytes != expected) {
        throw new IOException(file + ": header[2] says " + count + " tokens, so the file should be "
            + expected + " bytes, but it is " + bytes + " bytes (" + (bytes < expected ? "truncated" : "trailing data")
            + "; it holds " + (bytes - HEADER_BYTES) / 2 + " tokens)");
      }
      int nSegments = (int) ((count + (long) SEGMENT_TOKENS - 1) / SEGMENT_TOKENS);
      ByteBuffer[] segments = new ByteBuffer[nSegments];
      for (int s = 0; s < nSegments; s++) {
        long first = (long) s * SEGMENT_TOKENS;
        long n = Math.min(SEGMENT_TOKENS, count - first);
        MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, HEADER_BYTES + 2 * first, 2 * n);
        segments[s] = map.order(ByteOrder.LITTLE_ENDIAN);
      }
      // the mapping stays valid after the channel is closed
      return new TokenShard(file, count, segments);
    }
  }

  /** The file this shard was opened from. */
  public Path path() {
    return path;
  }

  /** Number of tokens. */
  public long size() {
    return size;
  }

  /** Token {@code i}, in {@code [0, 65535]}. */
  public int get(long i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(path + ": token index " + i + " outside [0, " + size + ")");
    }
    return segments[(int) (i / SEGMENT_TOKENS)].getShort((int) (i % SEGMENT_TOKENS) * 2) & 0xFFFF;
  }

  /** Copies tokens {@code [start, start + len)} into {@code dst[off, off + len)}. */
  public void read(long start, int[] dst, int off, int len) {
    if (start < 0 || len < 0 || start + len > size) {
      throw new IndexOutOfBoundsException(path + ": tokens [" + start + ", " + (start + len)
          + ") outside [0, " + size + ")");
    }
    if (off < 0 || off + len > dst.length) {
      throw new IndexOutOfBoundsException("destination range [" + off + ", " + (off + len)
          + ") outside an array of length " + dst.length);
    }
    long i = start;
    int o = off;
    int left = len;
    while (left > 0) {
      ByteBuffer seg = segments[(int) (i / SEGMENT_TOKENS)];
      int at = (int) (i % SEGMENT_TOKENS);
      int n = Math.min(left, SEGMENT_TOKENS - at);
      for (int k = 0; k < n; k++) {
        dst[o + k] = seg.getShort((at + k) * 2) & 0xFFFF;
      }
      i += n;
      o += n;
      left -= n;
    }
  }

  /** All tokens, as a new array (for small shards and tests). */
  public int[] toArray() {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(path + ": " + size + " tokens do not fit one Java array");
    }
    int[] all = new int[(int) size];
    read(0, all, 0, all.length);
    return all;
  }

  @Override
  public String toString() {
    return path + " (" + size + " tokens)";
  }
}
