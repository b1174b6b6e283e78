package dev.triad.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One trainer per run directory: {@code <run>/run.lock} holds the owner's PID under an OS file lock
 * ({@link FileChannel#tryLock}) for the run's life. The OS drops the lock when its process ends,
 * however it ends (kill -9 included), so a lock file left behind by a dead process is stale and is
 * taken over; {@link #close} deletes the file and releases the lock. The holding process never
 * opens the file a second time (closing any descriptor of a file drops the process's POSIX locks on
 * it). A second trainer, in another
 * process or on another thread of this one, is refused with the holder's PID. The thread holding a
 * lock may acquire it again (the CLI locks before it validates a resume, the phase it then calls
 * locks too); only the outermost close releases it. A run directory the lock created is removed
 * again at release when nothing was written into it.
 */
public final class RunLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);

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
   * {@code body}'s result, computed holding the lock of {@code runDir}: how a phase runs, so that one
   * trainer writes a run directory for the run's whole life. In a data-parallel run rank 0 holds it
   * for the job (the other ranks write nothing there).
   */
  public static <T> T whileHeld(Path runDir, java.util.function.Supplier<T> body) {
    if (!Ranks.writes()) {
      return body.get();
    }
    try (RunLock lock = acquire(runDir)) {
      return body.get();
    }
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
      if (held != null) {
        // another thread of this JVM: refused without opening the file (closing a second descriptor
        // of it would drop the holder's OS lock)
        throw inUse(runDir, file, ProcessHandle.current().pid() + ", this process");
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
        // POSIX record locks belong to the process and vanish when it closes ANY descriptor of the file,
        // so while a lock is held nothing here opens the file a second time: the identity check below
        // compares the path's inode before the open and after the lock (stat opens nothing)
        Object before = fileKey(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        FileLock lock;
        try {
          lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // held in this JVM outside RunLock
        }
        if (lock == null) {
          String holder = read(ch);
          ch.close();
          throw inUse(runDir, file, holder.isEmpty() ? "unknown" : holder);
        }
        // the holder before us deletes the file before releasing: if we locked a file the path no
        // longer names (or the path was created in between), try again on the current one
        if ((before == null || !before.equals(fileKey(file))) && attempt < 10) {
          lock.release();
          ch.close();
          continue;
        }
        String previous = read(ch);
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((self + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        if (!previous.isEmpty() && !previous.equals(self)) {
          LOG.info("note: " + file + " was left by PID " + previous + ", which no longer holds it (ended"
              + " without cleaning up, e.g. killed); taken over");
        }
        return new RunLock(file, ch, lock, created);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock run directory " + runDir + " (" + file + "): " + e.getMessage(), e);
    }
  }

  private static IllegalStateException inUse(Path runDir, Path file, String holder) {
    return new IllegalStateException(runDir + " is in use by another trainer (PID " + holder + ", lock file " + file
        + "); wait for it to end, or choose another run directory");
  }

  /** The file's identity (device and inode), or null when it does not exist. */
  private static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
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
