package dev.triad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AtomicFiles: the target is replaced whole or not at all, and no temporary file survives. */
class AtomicFilesTest {
  @TempDir Path dir;

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void writesNewFileAndReplacesExistingOne() throws IOException {
    Path target = dir.resolve("ckpt.bin");
    AtomicFiles.writeString(target, "first");
    assertEquals("first", Files.readString(target));
    AtomicFiles.write(target, out -> out.write("second, longer".getBytes(StandardCharsets.UTF_8)));
    assertEquals("second, longer", Files.readString(target));
    AtomicFiles.writeString(target, "3");
    assertEquals("3", Files.readString(target), "a shorter replacement must not keep the old tail");
    assertEquals(List.of("ckpt.bin"), listing());
  }

  @Test
  void writerThatClosesTheStreamStillWorks() throws IOException {
    Path target = dir.resolve("a.txt");
    AtomicFiles.write(target, out -> {
      out.write(new byte[] {1, 2, 3});
      out.close();
    });
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
  }

  @Test
  void channelWriter() throws IOException {
    Path target = dir.resolve("c.bin");
    byte[] big = new byte[3 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    AtomicFiles.writeChannel(target, ch -> {
      ByteBuffer b = ByteBuffer.wrap(big);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    });
    assertArrayEquals(big, Files.readAllBytes(target));
    assertEquals(List.of("c.bin"), listing());
  }

  @Test
  void failingWriterLeavesTargetIntactAndNoTempFile() throws IOException {
    Path target = dir.resolve("ckpt.bin");
    AtomicFiles.writeString(target, "good checkpoint");
    IOException boom = new IOException("disk full");
    IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
      out.write(new byte[200_000]); // more than the buffer: bytes really reach the temp file
      throw boom;
    }));
    assertSame(boom, thrown);
    assertEquals("good checkpoint", Files.readString(target));
    assertEquals(List.of("ckpt.bin"), listing());

    RuntimeException bug = new UncheckedIOException(new IOException("bug"));
    assertSame(bug, assertThrows(RuntimeException.class, () -> AtomicFiles.writeChannel(target, ch -> {
      ch.write(ByteBuffer.wrap(new byte[] {9, 9, 9}));
      throw bug;
    })));
    assertEquals("good checkpoint", Files.readString(target));
    assertEquals(List.of("ckpt.bin"), listing());
  }

  @Test
  void failingWriterWithNoPreviousTargetCreatesNothing() throws IOException {
    Path target = dir.resolve("new.bin");
    assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
      out.write(1);
      throw new IllegalStateException("x");
    }));
    assertFalse(Files.exists(target));
    assertEquals(List.of(), listing());
  }

  @Test
  void missingDirectoryAndDirectoryTargetAreNamed() throws IOException {
    Path missing = dir.resolve("nope").resolve("x.bin");
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AtomicFiles.writeString(missing, "x"));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    Path sub = Files.createDirectory(dir.resolve("sub"));
    IOException d = assertThrows(IOException.class, () -> AtomicFiles.writeString(sub, "x"));
    assertTrue(d.getMessage().contains("is a directory"), d.getMessage());
    assertEquals(List.of("sub"), listing());
  }
}
