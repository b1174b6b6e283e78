package dev.triad.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One trainer per run directory: {@code <run>/run.lock} holds the owner's PID under an OS file lock
 * ({@link FileChannel#tryLock}) for the run's life. The OS drops the lock when its process ends,
 * however it ends (kill -9 included), so a lock file left behind by a dead process is stale and is
 * taken over; {@link #close} deletes the file and releases the lock. A second trainer, in another
 * process or on another thread of this one, is refused with the holder's PID. The thread holding a
 * lock may acquire it again (the CLI locks before it validates a resume, the phase it then calls
 * locks too); only the outermost close releases it. A run directory the lock created is removed
 * again at release when nothing was written into it.
 */
public final class RunLock implements AutoCloseable {
  /** The lock file's name inside a run directory. */
  public static final String FILE = "run.lock";

  /** Locks this JVM holds, by absolute lock-file path, with their owning thread. */
  private static final java.util.Map<Path, RunLock> HELD = new java.util.HashMap<>();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private final Thread owner;
  private final boolean createdDirectory;
  private int depth = 1;

  private RunLock(Path file, FileChannel channel, FileLock lock, boolean createdDirectory) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
    this.owner = Thread.currentThread();
    this.createdDirectory = createdDirectory;
  }

  /**
   * Takes the lock of {@code runDir} (created if missing).
   *
   * @throws IllegalStateException naming the directory and the holder's PID when another trainer holds it
   */
  public static RunLock acquire(Path runDir) {
    Path file = runDir.resolve(FILE).toAbsolutePath().normalize();
    synchronized (HELD) {
      RunLock held = HELD.get(file);
      if (held != null && held.owner == Thread.currentThread()) {
        held.depth++;
        return held;
      }
      RunLock lock = take(runDir, file);
      HELD.put(file, lock);
      return lock;
    }
  }

  private static RunLock take(Path runDir, Path file) {
    String self = Long.toString(ProcessHandle.current().pid());
    try {
      boolean created = !Files.isDirectory(runDir);
      Files.createDirectories(runDir);
      for (int attempt = 0; ; attempt++) {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        FileLock lock;
        try {
          lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // held by this JVM (another thread or an earlier, unclosed trainer)
        }
        if (lock == null) {
          String holder = read(ch);
          ch.close();
          throw new IllegalStateException(runDir + " is in use by another trainer (PID "
              + (holder.isEmpty() ? "unknown" : holder) + (holder.equals(self) ? ", this process" : "")
              + ", lock file " + file + "); wait for it to end, or choose another --out");
        }
        String previous = read(ch);
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((self + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        // the holder before us deletes the file before releasing: if we locked that deleted file, the
        // path now names another one (or none), and we try again on the current file
        if (!sameContent(file, self) && attempt < 10) {
          lock.release();
          ch.close();
          continue;
        }
        if (!previous.isEmpty() && !previous.equals(self)) {
          System.out.println("note: " + file + " was left by PID " + previous + ", which no longer holds it (ended"
              + " without cleaning up, e.g. killed); taken over");
        }
        return new RunLock(file, ch, lock, created);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock run directory " + runDir + " (" + file + "): " + e.getMessage(), e);
    }
  }

  /** The PID recorded in {@code runDir}'s lock file, or empty when there is none. */
  public static String recordedHolder(Path runDir) {
    try {
      return Files.readString(runDir.resolve(FILE), StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      return "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteIfEmpty(Path dir) {
    try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
      if (entries.findAny().isEmpty()) {
        Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      // not empty, or gone: nothing to clean
    }
  }

  private static boolean sameContent(Path file, String self) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip().equals(self);
    } catch (IOException e) {
      return false;
    }
  }

  private static String read(FileChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) Math.min(64, ch.size()));
    ch.read(b, 0);
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
  }

  @Override
  public void close() {
    synchronized (HELD) {
      if (--depth > 0) {
        return;
      }
      HELD.remove(file);
    }
    try {
      Files.deleteIfExists(file); // while still locked, so no one locks a file about to vanish unknowingly
      lock.release();
      channel.close();
      if (createdDirectory) {
        deleteIfEmpty(file.getParent()); // a run refused before it wrote anything leaves no trace
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release " + file + ": " + e.getMessage(), e);
    }
  }
}
