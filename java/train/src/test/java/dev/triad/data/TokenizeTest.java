package dev.triad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Documents to shards, end to end: files readable, counts add up, splits whole and reproducible. */
class TokenizeTest {
  @TempDir
  Path dir;

  private static int[] concat(List<Path> files) throws IOException {
    List<Integer> all = new ArrayList<>();
    for (Path f : files) {
      for (int t : TokenShard.open(f).toArray()) {
        all.add(t);
      }
    }
    return all.stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void syntheticCorpusToShardsWithByteTokenizer() throws IOException {
    List<String> docs = SyntheticCorpus.documents(3, 60_000);
    Tokenizer tok = Tokenizer.byName("byte");
    Tokenize.Summary s = Tokenize.run(docs, tok, dir.resolve("out"), 0.1, 10_000, 3);

    long textBytes = docs.stream().mapToLong(d -> tok.encode(d).length).sum();
    assertEquals(docs.size(), s.trainDocuments() + s.valDocuments());
    assertEquals(Math.round(0.1 * docs.size()), s.valDocuments());
    assertEquals(textBytes + docs.size(), s.trainTokens() + s.valTokens(), "text tokens + one eot per document");
    assertEquals(List.of(dir.resolve("out/train_000000.bin"), dir.resolve("out/train_000001.bin")),
        s.trainFiles().subList(0, 2));
    assertEquals(dir.resolve("out/val_000000.bin"), s.valFiles().get(0));
    assertEquals((s.trainTokens() + 9_999) / 10_000, s.trainFiles().size());

    int[] train = concat(s.trainFiles());
    int[] val = concat(s.valFiles());
    assertEquals(s.trainTokens(), train.length);
    assertEquals(s.valTokens(), val.length);
    for (Path f : s.trainFiles().subList(0, s.trainFiles().size() - 1)) {
      assertEquals(10_000, TokenShard.open(f).size(), f + " should be full");
    }
    // each split starts with eot, has one per document, and decodes back to its documents in order
    assertEquals(256, train[0]);
    assertEquals(256, val[0]);
    assertEquals(s.trainDocuments(), java.util.Arrays.stream(train).filter(t -> t == 256).count());
    String decoded = tok.decode(train) + tok.decode(val);
    StringBuilder tr = new StringBuilder();
    StringBuilder va = new StringBuilder();
    boolean[] isVal = Tokenize.chooseValidation(docs.size(), 0.1, 3);
    for (int i = 0; i < docs.size(); i++) {
      (isVal[i] ? va : tr).append("<|endoftext|>").append(docs.get(i));
    }
    assertEquals(tr.toString() + va, decoded);

    // the shards feed the loader
    TokenDataLoader loader = TokenDataLoader.train(TokenDataLoader.findShards(dir.resolve("out"), "train_*.bin"), 4, 64, 0);
    assertEquals((s.trainTokens() - 1) / 64, loader.windowsPerEpoch());
  }

  @Test
  void gpt2ShardsAndSplitReproducibility() throws IOException {
    List<String> docs = List.of("Hello world", "The capital of France is Paris.", "2 plus 2 is 4.", "Snow is white.");
    Tokenize.Summary a = Tokenize.run(docs, Gpt2Tokenizer.get(), dir.resolve("a"), 0.25, 1_000_000, 5);
    Tokenize.Summary b = Tokenize.run(docs, Gpt2Tokenizer.get(), dir.resolve("b"), 0.25, 1_000_000, 5);
    assertEquals(1, a.valDocuments());
    assertArrayEquals(Files.readAllBytes(a.trainFiles().get(0)), Files.readAllBytes(b.trainFiles().get(0)));
    // each split is eot + tokens of each of its documents, in the documents' order
    boolean[] isVal = Tokenize.chooseValidation(4, 0.25, 5);
    List<Integer> train = new ArrayList<>();
    List<Integer> val = new ArrayList<>();
    for (int i = 0; i < docs.size(); i++) {
      List<Integer> split = isVal[i] ? val : train;
      split.add(50256);
      for (int t : Gpt2Tokenizer.get().encode(docs.get(i))) {
        split.add(t);
      }
    }
    assertArrayEquals(train.stream().mapToInt(Integer::intValue).toArray(), concat(a.trainFiles()));
    assertArrayEquals(val.stream().mapToInt(Integer::intValue).toArray(), concat(a.valFiles()));
    assertEquals(train.size(), a.trainTokens());
    assertTrue(train.containsAll(List.of(15496, 995)) || val.containsAll(List.of(15496, 995)));
  }

  @Test
  void staleShardsFromALargerRunAreRemovedAndOthersKept() throws IOException {
    List<String> docs = SyntheticCorpus.documents(1, 20_000);
    Path out = dir.resolve("out");
    Tokenize.Summary big = Tokenize.run(docs, ByteTokenizer.INSTANCE, out, 0.1, 2_000, 1);
    assertTrue(big.trainFiles().size() > 3);
    Files.writeString(out.resolve("notes.txt"), "mine");
    Tokenize.Summary small = Tokenize.run(docs, ByteTokenizer.INSTANCE, out, 0.0, 1_000_000, 1);
    assertEquals(1, small.trainFiles().size());
    assertTrue(small.valFiles().isEmpty());
    assertEquals(big.trainFiles().size() - 1 + big.valFiles().size(), small.removedFiles().size());
    assertFalse(Files.exists(out.resolve("train_000001.bin")));
    assertFalse(Files.exists(out.resolve("val_000000.bin")));
    assertTrue(Files.exists(out.resolve("notes.txt")));
  }

  @Test
  void rejectsBadArguments() {
    List<String> docs = List.of("a", "b");
    Path out = dir.resolve("x");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Tokenize.run(docs, ByteTokenizer.INSTANCE, out, 1.0, 100, 0));
    assertTrue(e.getMessage().contains("val fraction") && e.getMessage().contains("1.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tokenize.run(docs, ByteTokenizer.INSTANCE, out, 0.1, 0, 0));
    assertTrue(e.getMessage().contains("shard tokens"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Tokenize.run(List.of(), ByteTokenizer.INSTANCE, out, 0.1, 10, 0));
  }
}
