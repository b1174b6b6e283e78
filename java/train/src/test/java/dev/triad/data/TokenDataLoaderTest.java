package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's contract. The shards hold the stream 0, 1, 2, ... so every window reveals where it
 * starts: inputs[b*T] is the window's stream offset.
 */
class TokenDataLoaderTest {
  @TempDir
  Path dir;

  /** Writes the stream 0..total-1 cut into shards of the given sizes. */
  private List<Path> stream(int... sizes) throws IOException {
    List<Path> files = new ArrayList<>();
    int next = 0;
    for (int i = 0; i < sizes.length; i++) {
      int[] t = new int[sizes[i]];
      for (int k = 0; k < t.length; k++) {
        t[k] = next++;
      }
      Path f = dir.resolve(String.format("train_%06d.bin", i));
      TokenShard.write(f, t);
      files.add(f);
    }
    return files;
  }

  private static List<Integer> windowStarts(TokenDataLoader.Batch b) {
    List<Integer> starts = new ArrayList<>();
    for (int r = 0; r < b.batchSize(); r++) {
      starts.add(b.inputs()[r * b.seqLen()]);
    }
    return starts;
  }

  @Test
  void targetsAreInputsShiftedAcrossShardBoundaries() throws IOException {
    // 37 | empty | 64 | 20 tokens: windows of T=10 straddle the cuts
    TokenDataLoader l = TokenDataLoader.train(stream(37, 0, 64, 20), 3, 10, 7);
    assertEquals(121, l.totalTokens());
    assertEquals(12, l.windowsPerEpoch());               // (121 - 1) / 10
    for (int step = 0; step < 8; step++) {
      TokenDataLoader.Batch b = l.next();
      assertEquals(3, b.batchSize());
      assertEquals(10, b.seqLen());
      assertEquals(30, b.inputs().length);
      for (int r = 0; r < 3; r++) {
        int start = b.inputs()[r * 10];
        assertEquals(0, start % 10, "windows start at multiples of T");
        for (int t = 0; t < 10; t++) {
          assertEquals(start + t, b.inputs()[r * 10 + t]);
          assertEquals(start + t + 1, b.targets()[r * 10 + t]);
        }
      }
    }
  }

  @Test
  void everyEpochVisitsEveryWindowExactlyOnceInANewOrder() throws IOException {
    TokenDataLoader l = TokenDataLoader.train(stream(600, 401), 6, 10, 42);   // 100 windows, B=6 straddles epochs
    assertEquals(100, l.windowsPerEpoch());
    List<Integer> seen = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      seen.addAll(windowStarts(l.next()));
    }
    assertEquals(new TokenDataLoader.State(3, 0), l.state());
    List<Integer> all = new ArrayList<>();
    for (int w = 0; w < 100; w++) {
      all.add(w * 10);
    }
    List<List<Integer>> epochs = new ArrayList<>();
    for (int e = 0; e < 3; e++) {
      List<Integer> epoch = new ArrayList<>(seen.subList(e * 100, (e + 1) * 100));
      epochs.add(new ArrayList<>(epoch));
      epoch.sort(null);
      assertEquals(all, epoch, "epoch " + e + " is not a permutation of the windows");
    }
    assertNotEquals(epochs.get(0), epochs.get(1));
    assertNotEquals(all, epochs.get(0), "training order is shuffled");
  }

  @Test
  void sameSeedSameBatchesOtherSeedOtherBatches() throws IOException {
    List<Path> files = stream(2000);
    TokenDataLoader a = TokenDataLoader.train(files, 4, 16, 1);
    TokenDataLoader b = TokenDataLoader.train(files, 4, 16, 1);
    TokenDataLoader c = TokenDataLoader.train(files, 4, 16, 2);
    boolean differs = false;
    for (int i = 0; i < 40; i++) {
      TokenDataLoader.Batch x = a.next();
      TokenDataLoader.Batch y = b.next();
      TokenDataLoader.Batch z = c.next();
      assertArrayEquals(x.inputs(), y.inputs());
      assertArrayEquals(x.targets(), y.targets());
      differs |= !Arrays.equals(x.inputs(), z.inputs());
    }
    assertTrue(differs, "seeds 1 and 2 gave the same batches");
  }

  @Test
  void restoreResumesAtExactlyTheSameBatch() throws IOException {
    List<Path> files = stream(500, 500);
    TokenDataLoader first = TokenDataLoader.train(files, 5, 8, 99);     // 124 windows
    for (int i = 0; i < 23; i++) {
      first.next();
    }
    TokenDataLoader.State saved = first.state();
    assertEquals(new TokenDataLoader.State(0, 115), saved);
    TokenDataLoader resumed = TokenDataLoader.train(files, 5, 8, 99);
    resumed.restore(saved);
    for (int i = 0; i < 30; i++) {                                     // crosses into epochs 1 and 2
      assertArrayEquals(first.next().inputs(), resumed.next().inputs(), "batch " + i + " after resume");
    }
    assertEquals(first.state(), resumed.state());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> resumed.restore(new TokenDataLoader.State(0, 124)));
    assertTrue(e.getMessage().contains("124"), e.getMessage());
  }

  @Test
  void tooLittleDataSaysHowManyTokensAndHowManyNeeded() throws IOException {
    List<Path> files = stream(5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TokenDataLoader.train(files, 2, 10, 0));
    assertTrue(e.getMessage().contains("found 5 tokens") && e.getMessage().contains("T + 1 = 11"), e.getMessage());
  }

  @Test
  void validationIsInOrderOnePassWithAPartialLastBatchAndResets() throws IOException {
    TokenDataLoader v = TokenDataLoader.val(stream(101), 4, 10);     // 10 windows: 4 + 4 + 2
    assertEquals(3, v.batchesPerEpoch());
    List<Integer> starts = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    while (v.hasNext()) {
      TokenDataLoader.Batch b = v.next();
      sizes.add(b.batchSize());
      starts.addAll(windowStarts(b));
    }
    assertEquals(List.of(4, 4, 2), sizes);
    assertEquals(List.of(0, 10, 20, 30, 40, 50, 60, 70, 80, 90), starts);
    assertThrows(NoSuchElementException.class, v::next);
    v.reset();
    assertTrue(v.hasNext());
    assertEquals(List.of(0, 10, 20, 30), windowStarts(v.next()));
  }

  @Test
  void findsShardsByGlobInNameOrder() throws IOException {
    List<Path> files = stream(30, 30, 30);
    TokenShard.write(dir.resolve("val_000000.bin"), new int[] {1, 2, 3});
    assertEquals(files, TokenDataLoader.findShards(dir, "train_*.bin"));
    assertEquals(files, TokenDataLoader.findShards(dir.resolve("train_*.bin").toString()));
    IOException e = assertThrows(IOException.class, () -> TokenDataLoader.findShards(dir, "test_*.bin"));
    assertTrue(e.getMessage().contains("test_*.bin"), e.getMessage());
  }

  @Test
  void rejectsBadShapesAndMissingShards() throws IOException {
    List<Path> files = stream(100);
    assertThrows(IllegalArgumentException.class, () -> TokenDataLoader.train(files, 0, 8, 0));
    assertThrows(IllegalArgumentException.class, () -> TokenDataLoader.train(files, 2, 0, 0));
    IOException e = assertThrows(IOException.class,
        () -> TokenDataLoader.train(List.of(dir.resolve("missing.bin")), 2, 8, 0));
    assertTrue(e.getMessage().contains("missing.bin"), e.getMessage());
    assertEquals(new TokenDataLoader.State(0, 0), TokenDataLoader.val(files, 2, 8).state());
  }
}
