package dev.triad.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file replacement, for checkpoints and exported models.
 *
 * <p>Why: a training run that is killed (OOM, preemption, power loss) while overwriting its
 * checkpoint must not destroy the previous good one. Every write therefore goes to a temporary
 * file in the target's directory (same file system, so the rename can be atomic), is flushed and
 * fsynced, and is then renamed over the target with {@code ATOMIC_MOVE}; finally the directory is
 * fsynced (best effort) so the rename itself survives a power loss. Readers see either the old
 * file or the complete new one, never a half-written one. On any failure, including an exception
 * thrown by the caller's writer, the target is left untouched and the temporary file is deleted.
 *
 * <p>Temporary files are named {@code .<target name>.<random>.tmp}; a process killed between
 * creating and renaming one leaves it behind, harmless and recognisable.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** A consumer that may throw IOException (the writer of the file's content). */
  @FunctionalInterface
  public interface IOConsumer<T> {
    void accept(T value) throws IOException;
  }

  /**
   * Atomically replaces {@code target} with what {@code writer} writes to the (buffered) stream.
   * The writer may close the stream or not; the data is flushed and synced either way.
   */
  public static void write(Path target, IOConsumer<OutputStream> writer) throws IOException {
    writeChannel(target, channel -> {
      OutputStream unclosable = new FilterOutputStream(Channels.newOutputStream(channel)) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          flush(); // the channel is closed by writeChannel after the fsync
        }
      };
      try (OutputStream out = new BufferedOutputStream(unclosable, 1 << 16)) {
        writer.accept(out);
      }
    });
  }

  /**
   * Atomically replaces {@code target} with what {@code writer} writes to the channel (positioned
   * at 0; the writer must not close it).
   */
  public static void writeChannel(Path target, IOConsumer<FileChannel> writer) throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new NoSuchFileException(String.valueOf(dir), null,
          "cannot write " + target + ": directory " + dir + " does not exist");
    }
    if (Files.isDirectory(abs)) {
      throw new IOException("cannot write " + target + ": it is a directory");
    }
    Path tmp = createTemp(dir, abs.getFileName().toString());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        writer.accept(ch);
        ch.force(true);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot write " + target + " atomically: the file system of " + dir
            + " does not support atomic renames", e);
      }
    } catch (IOException | RuntimeException | Error e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    syncDirectory(dir);
  }

  /** Atomically replaces {@code target} with {@code bytes}. */
  public static void writeBytes(Path target, byte[] bytes) throws IOException {
    write(target, out -> out.write(bytes));
  }

  /** Atomically replaces {@code target} with {@code text} encoded as UTF-8. */
  public static void writeString(Path target, String text) throws IOException {
    writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
  }

  private static Path createTemp(Path dir, String name) throws IOException {
    for (int attempt = 0; ; attempt++) {
      String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
      Path tmp = dir.resolve("." + name + "." + suffix + ".tmp");
      try {
        // CREATE_NEW (not createTempFile) so the file gets the process's default permissions
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return tmp;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw e;
        }
      }
    }
  }

  /** fsync of the directory makes the rename durable; not possible everywhere (e.g. Windows). */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort: the data itself is synced; only the rename's durability is at stake
    }
  }
}
