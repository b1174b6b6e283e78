package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards are byte-exact llm.c files, round-trip, and every malformed file is reported by name. */
class TokenShardTest {
  @TempDir
  Path dir;

  /** An llm.c shard built by hand, the way its Python scripts write one (np.int32 header, np.uint16 tokens). */
  private static byte[] llmcShard(int magic, int version, int count, int[] tokens) {
    ByteBuffer b = ByteBuffer.allocate(1024 + 2 * tokens.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, magic).putInt(4, version).putInt(8, count);
    for (int i = 0; i < tokens.length; i++) {
      b.putShort(1024 + 2 * i, (short) tokens[i]);
    }
    return b.array();
  }

  @Test
  void writesTheLlmcHeaderAndLittleEndianUint16() throws IOException {
    Path f = dir.resolve("s.bin");
    int[] tokens = {0, 1, 258, 50256, 65535};
    TokenShard.write(f, tokens);
    byte[] bytes = Files.readAllBytes(f);
    assertEquals(1024 + 2 * tokens.length, bytes.length);
    // 20240520 = 0x0134D888 little-endian; version 1; count 5
    assertArrayEquals(new byte[] {(byte) 0x88, (byte) 0xD8, 0x34, 0x01, 1, 0, 0, 0, 5, 0, 0, 0},
        Arrays.copyOf(bytes, 12));
    for (int i = 12; i < 1024; i++) {
      assertEquals(0, bytes[i], "header byte " + i);
    }
    // 258 = 0x0102 -> 02 01; 50256 = 0xC450 -> 50 C4; 65535 -> FF FF
    assertArrayEquals(new byte[] {0, 0, 1, 0, 2, 1, 0x50, (byte) 0xC4, (byte) 0xFF, (byte) 0xFF},
        Arrays.copyOfRange(bytes, 1024, bytes.length));
    assertArrayEquals(llmcShard(20240520, 1, 5, tokens), bytes);
  }

  @Test
  void roundTripsAndReadsRanges() throws IOException {
    Path f = dir.resolve("r.bin");
    int[] tokens = new int[3001];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = (i * 7919) % 65536;
    }
    TokenShard.write(f, tokens);
    TokenShard s = TokenShard.open(f);
    assertEquals(tokens.length, s.size());
    assertArrayEquals(tokens, s.toArray());
    assertEquals(tokens[1234], s.get(1234));
    int[] dst = new int[12];
    s.read(100, dst, 2, 10);
    assertArrayEquals(Arrays.copyOfRange(tokens, 100, 110), Arrays.copyOfRange(dst, 2, 12));
    assertThrows(IndexOutOfBoundsException.class, () -> s.get(tokens.length));
    assertThrows(IndexOutOfBoundsException.class, () -> s.read(2995, dst, 0, 10));
  }

  @Test
  void readsAFileWrittenLikeLlmcAndAnEmptyShard() throws IOException {
    Path f = dir.resolve("llmc.bin");
    Files.write(f, llmcShard(20240520, 1, 3, new int[] {50256, 15496, 995}));
    assertArrayEquals(new int[] {50256, 15496, 995}, TokenShard.open(f).toArray());
    Path empty = dir.resolve("empty.bin");
    TokenShard.write(empty, new int[0]);
    assertEquals(0, TokenShard.open(empty).size());
  }

  @Test
  void overwritesAtomicallyLeavingNoTempFiles() throws IOException {
    Path f = dir.resolve("a.bin");
    TokenShard.write(f, new int[] {1, 2, 3});
    TokenShard.write(f, new int[] {4, 5});
    assertArrayEquals(new int[] {4, 5}, TokenShard.open(f).toArray());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.count(), "temp files left behind");
    }
  }

  @Test
  void rejectsTokensThatDoNotFitUint16NamingIdAndIndex() {
    Path f = dir.resolve("bad.bin");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TokenShard.write(f, new int[] {1, 2, 65536}));
    assertTrue(e.getMessage().contains("65536") && e.getMessage().contains("index 2")
        && e.getMessage().contains("bad.bin"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TokenShard.write(f, new int[] {-3}));
    assertTrue(e.getMessage().contains("-3") && e.getMessage().contains("index 0"), e.getMessage());
    assertTrue(!Files.exists(f));
  }

  private void assertOpenFails(Path f, String... fragments) {
    IOException e = assertThrows(IOException.class, () -> TokenShard.open(f));
    assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
    for (String frag : fragments) {
      assertTrue(e.getMessage().contains(frag), "expected '" + frag + "' in: " + e.getMessage());
    }
  }

  @Test
  void missingFile() {
    Path f = dir.resolve("nope.bin");
    assertThrows(NoSuchFileException.class, () -> TokenShard.open(f));
    assertOpenFails(f, "not found");
  }

  @Test
  void fileShorterThanTheHeader() throws IOException {
    Path f = dir.resolve("short.bin");
    Files.write(f, new byte[100]);
    assertOpenFails(f, "100 bytes", "1024");
  }

  @Test
  void badMagicSaysWhatItFoundAndExpected() throws IOException {
    Path f = dir.resolve("magic.bin");
    Files.write(f, llmcShard(12345, 1, 2, new int[] {1, 2}));
    assertOpenFails(f, "magic", "12345", "20240520");
  }

  @Test
  void unsupportedVersion() throws IOException {
    Path f = dir.resolve("v2.bin");
    Files.write(f, llmcShard(20240520, 2, 2, new int[] {1, 2}));
    assertOpenFails(f, "version 2", "expected 1");
  }

  @Test
  void truncatedBody() throws IOException {
    Path f = dir.resolve("trunc.bin");
    TokenShard.write(f, new int[] {1, 2, 3, 4});
    byte[] all = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(all, all.length - 3));
    assertOpenFails(f, "4 tokens", "truncated");
  }
}
