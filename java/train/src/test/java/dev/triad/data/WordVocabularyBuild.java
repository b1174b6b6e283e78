package dev.triad.data;

import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import dev.triad.data.pref.PreferenceData;
import dev.triad.data.pref.PreferencePair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Rebuilds {@code words-vocab.txt} (WordTokenizer's vocabulary) from the default corpus and the
 * embedded instruction and preference data. Run by hand when the embedded data gains words:
 * {@code java -cp java/train/target/test-classes:java/train/target/classes dev.triad.data.WordVocabularyBuild FILE};
 * a new vocabulary is a new tokenizer (old checkpoints were trained on the old ids).
 */
public final class WordVocabularyBuild {
  private WordVocabularyBuild() {}

  /** The texts the vocabulary is counted over. */
  static List<String> sources() {
    List<String> texts = new ArrayList<>(SyntheticCorpus.documents(SyntheticCorpus.DEFAULT_SEED));
    InstructionData.Split s = InstructionData.defaultSplit(SyntheticCorpus.DEFAULT_SEED);
    List<Example> all = new ArrayList<>(s.train());
    all.addAll(s.validation());
    all.addAll(s.evaluationExamples());
    for (Example e : all) {
      texts.add(e.prompt());
      texts.add(" " + e.answer());
    }
    for (PreferencePair p : PreferenceData.defaultSplit(SyntheticCorpus.DEFAULT_SEED).train()) {
      texts.add(" " + p.rejected());
    }
    return texts;
  }

  public static void main(String[] args) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String w : WordTokenizer.vocabularyOf(sources(), 2)) {
      lines.add(w.startsWith(" ") ? "_" + w.substring(1) : w);
    }
    Files.write(Path.of(args[0]), lines);
    System.out.println(lines.size() + " words -> " + args[0]);
  }
}
