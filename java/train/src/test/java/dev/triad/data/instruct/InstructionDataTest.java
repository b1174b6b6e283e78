package dev.triad.data.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.triad.data.SyntheticCorpus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default instruction data is reproducible, correct, disjoint, balanced, short and scored fairly. */
class InstructionDataTest {
  private static InstructionData.Split split;
  private static List<Example> all;
  /** Every sentence of the pretraining corpus, for checking yes/no facts against what the model saw. */
  private static Set<String> corpusSentences;

  @BeforeAll
  static void setUp() {
    split = InstructionData.defaultSplit(42);
    all = new ArrayList<>(split.train());
    all.addAll(split.validation());
    all.addAll(split.evaluationExamples());
    corpusSentences = new HashSet<>();
    for (String doc : SyntheticCorpus.documents(SyntheticCorpus.DEFAULT_SEED, 1_000_000)) {
      corpusSentences.addAll(Arrays.asList(doc.split("(?<=\\.) ")));
    }
  }

  @Test
  void sameSeedSameDataOtherSeedOtherData() {
    for (String f : InstructionData.allFamilies()) {
      assertEquals(InstructionData.generate(f, 50, 7), InstructionData.generate(f, 50, 7), f);
      assertNotEquals(InstructionData.generate(f, 50, 7), InstructionData.generate(f, 50, 8), f);
    }
    InstructionData.Split again = InstructionData.defaultSplit(42);
    assertEquals(split.train(), again.train());
    assertEquals(split.validation(), again.validation());
    assertEquals(split.evaluation(), again.evaluation());
    assertEquals(List.copyOf(split.evaluation().keySet()), InstructionData.allFamilies());
    InstructionData.Split other = InstructionData.defaultSplit(43);
    assertNotEquals(split.train(), other.train());
    assertNotEquals(split.evaluation(), other.evaluation());
  }

  @Test
  void pinnedOutputDoesNotDrift() {
    // the exact data is part of the contract (reproducible on any JVM): a change here changes every SFT run
    StringBuilder sb = new StringBuilder();
    for (String f : InstructionData.allFamilies()) {
      for (Example e : InstructionData.generate(f, 20, 1)) {
        sb.append(e.family()).append('|').append(e.prompt()).append('|').append(e.answer()).append('\n');
      }
    }
    assertEquals(PINNED_HASH, sb.toString().hashCode(), "InstructionData output for seed 1 changed");
  }

  private static final int PINNED_HASH = -19326212;

  @Test
  void familiesAreAsDocumented() {
    assertTrue(InstructionData.trainedFamilies().size() >= 8);
    assertTrue(InstructionData.heldOutFamilies().size() >= 2);
    Set<String> trained = new HashSet<>(InstructionData.trainedFamilies());
    for (String f : InstructionData.heldOutFamilies()) {
      assertFalse(trained.contains(f), f);
    }
    assertThrows(IllegalArgumentException.class, () -> InstructionData.generate("no_such_family", 1, 1));
    assertThrows(IllegalArgumentException.class, () -> InstructionData.generate("addition", -1, 1));
    assertThrows(IllegalArgumentException.class, () -> InstructionData.split(1, -1, 0, 0));
    // yes_no_facts has a few hundred distinct prompts: asking for more distinct ones must fail loudly
    assertThrows(IllegalStateException.class, () -> InstructionData.split(1, 0, 0, 5_000));
  }

  @Test
  void everyAnswerIsCorrect() {
    int checked = 0;
    for (Example e : all) {
      check(e);
      checked++;
    }
    assertTrue(checked > 6_000);
  }

  @Test
  void theCheckerCatchesWrongAnswers() {
    // the verification above must be able to fail: corrupt one answer per family and expect a failure
    for (String f : InstructionData.allFamilies()) {
      for (Example e : InstructionData.generate(f, 10, 3)) {
        String wrong = f.equals("yes_no_facts") ? (e.answer().equals("yes") ? "no" : "yes")
            : e.answer().matches("[0-9]+") ? Integer.toString(Integer.parseInt(e.answer()) + 1)
            : e.answer().equals("Monday") ? "Tuesday" : e.answer() + "x";
        Example bad = new Example(f, e.prompt(), wrong);
        assertThrows(AssertionError.class, () -> check(bad), f + ": " + bad);
      }
    }
  }

  private static final Pattern HEADER =
      Pattern.compile("Weather bulletin for ([A-Z][a-z]+(?: [A-Z][a-z]+)?), issued on ([A-Za-z]+) (morning|afternoon|evening)\\.");
  private static final Pattern WORD_TASK = Pattern.compile("([A-Za-z ]+): ([a-z]+(?: [a-z]+)*)");
  private static final List<String> DAYS =
      List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");

  /** Re-derives the answer from the prompt, independently of the generator. */
  private static void check(Example e) {
    String p = e.prompt();
    String a = e.answer();
    String f = e.family();
    if (f.startsWith("weather_")) {
      String[] parts = p.split("\n");
      assertEquals(2, parts.length, p);
      Matcher h = HEADER.matcher(parts[0]);
      assertTrue(h.lookingAt(), p);
      String rest = parts[0].substring(h.end());
      String next = DAYS.get((DAYS.indexOf(h.group(2)) + 1) % 7);
      assertTrue(rest.contains(" " + next), "the second sentence is about the next day: " + p);
      List<String> numbers = new ArrayList<>();
      Matcher m = Pattern.compile("[0-9]+").matcher(rest);
      while (m.find()) {
        numbers.add(m.group());
      }
      assertEquals(1, numbers.size(), p);
      switch (f) {
        case "weather_city":
          assertEquals(h.group(1), a, p);
          break;
        case "weather_day":
          assertEquals(parts[1].contains("issued") ? h.group(2) : next, a, p);
          break;
        case "weather_high":
          assertTrue(rest.endsWith(" with a high of " + a + " degrees."), p);
          break;
        default:
          fail("unknown family " + f);
      }
      return;
    }
    switch (f) {
      case "addition": {
        Matcher m = Pattern.compile("What is ([0-9]+) plus ([0-9]+)\\?").matcher(p);
        assertTrue(m.matches(), p);
        assertEquals(Integer.toString(Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2))), a, p);
        break;
      }
      case "subtraction": {
        Matcher m = Pattern.compile("What is ([0-9]+) minus ([0-9]+)\\?").matcher(p);
        assertTrue(m.matches(), p);
        int d = Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2));
        assertTrue(d >= 0, p);
        assertEquals(Integer.toString(d), a, p);
        break;
      }
      case "reverse_words":
      case "uppercase":
      case "count_words": {
        Matcher m = WORD_TASK.matcher(p);
        assertTrue(m.matches(), p);
        List<String> words = Arrays.asList(m.group(2).split(" "));
        assertEquals(words.size(), new HashSet<>(words).size(), "distinct words: " + p);
        if (f.equals("reverse_words")) {
          assertEquals("Reverse the words", m.group(1));
          List<String> r = new ArrayList<>(words);
          java.util.Collections.reverse(r);
          assertEquals(String.join(" ", r), a, p);
          assertTrue(words.size() >= 3 && words.size() <= 4, p);
        } else if (f.equals("uppercase")) {
          assertEquals("Write in uppercase", m.group(1));
          assertEquals(m.group(2).length(), a.length(), p);
          for (int i = 0; i < a.length(); i++) {
            char c = m.group(2).charAt(i);
            assertEquals(c == ' ' ? ' ' : (char) (c - 'a' + 'A'), a.charAt(i), p);
          }
        } else {
          assertEquals("Count the words", m.group(1));
          assertEquals(Integer.toString(words.size()), a, p);
          assertTrue(words.size() >= 2 && words.size() <= 6, p);
        }
        break;
      }
      case "lowercase": {
        assertTrue(p.startsWith("Write in lowercase: "), p);
        String upper = p.substring("Write in lowercase: ".length());
        assertTrue(upper.matches("[A-Z]+(?: [A-Z]+){1,3}"), p);
        assertEquals(upper.length(), a.length(), p);
        for (int i = 0; i < a.length(); i++) {
          char c = upper.charAt(i);
          assertEquals(c == ' ' ? ' ' : (char) (c - 'A' + 'a'), a.charAt(i), p);
        }
        break;
      }
      case "last_word": {
        Matcher m = Pattern.compile("What is the last word of ([a-z]+(?: [a-z]+){1,3})\\?").matcher(p);
        assertTrue(m.matches(), p);
        String[] words = m.group(1).split(" ");
        assertEquals(new HashSet<>(Arrays.asList(words)).size(), words.length, "distinct words: " + p);
        assertEquals(words[words.length - 1], a, p);
        break;
      }
      case "number_words": {
        assertTrue(p.startsWith("Write as digits: "), p);
        assertEquals(Integer.toString(parseNumberWords(p.substring("Write as digits: ".length()))), a, p);
        break;
      }
      case "yes_no_facts":
        assertEquals(truth(p) ? "yes" : "no", a, p);
        break;
      case "capital_city": {
        Matcher m = Pattern.compile("(?:What is|Which city is) the capital of ([A-Za-z ]+)\\?").matcher(p);
        assertTrue(m.matches(), p);
        assertTrue(corpusSentences.contains("The capital of " + m.group(1) + " is " + a + ".")
            || corpusSentences.contains(a + " is the capital of " + m.group(1) + "."), "not a corpus fact: " + p + " " + a);
        break;
      }
      case "next_in_order": {
        Matcher m = Pattern.compile("(?:What (day|month) comes after|Which (day|month) follows|What is the (day|month) after)"
            + " ([A-Za-z]+)\\?").matcher(p);
        assertTrue(m.matches(), p);
        String unit = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        assertTrue(corpusSentences.contains("The " + unit + " after " + m.group(4) + " is " + a + "."),
            "not a corpus fact: " + p + " " + a);
        break;
      }
      default:
        fail("unknown family " + f);
    }
  }

  private static final List<String> SMALL = List.of("zero", "one", "two", "three", "four", "five", "six", "seven",
      "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
      "eighteen", "nineteen");
  private static final List<String> TENS =
      List.of("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety");

  /** "three hundred forty two" -> 342, strictly (rejects "forty forty", "zero hundred", "twenty zero"). */
  private static int parseNumberWords(String s) {
    String[] w = s.split(" ");
    int i = 0;
    int value = 0;
    if (w.length >= 2 && w[1].equals("hundred")) {
      int h = SMALL.indexOf(w[0]);
      assertTrue(h >= 1 && h <= 9, s);
      value = 100 * h;
      i = 2;
      if (i == w.length) {
        return value;
      }
    }
    int t = TENS.indexOf(w[i]);
    if (t >= 0) {
      value += 20 + 10 * t;
      i++;
      if (i < w.length) {
        int u = SMALL.indexOf(w[i++]);
        assertTrue(u >= 1 && u <= 9, s);
        value += u;
      }
    } else {
      int u = SMALL.indexOf(w[i++]);
      assertTrue(u >= 0 && (u > 0 || value == 0), s);
      value += u;
    }
    assertEquals(w.length, i, s);
    return value;
  }

  /**
   * Whether a yes/no question states a sentence of the pretraining corpus; fails if the question
   * fits no template or (for a false one) its subject is unknown to the corpus.
   */
  private static boolean truth(String q) {
    Matcher m;
    if ((m = Pattern.compile("Is a young (\\w+) called an? (\\w+)\\?").matcher(q)).matches()
        || (m = Pattern.compile("Is the young of an? (\\w+) called an? (\\w+)\\?").matcher(q)).matches()) {
      String animal = m.group(1);
      String young = m.group(2);
      String an = "aeiou".indexOf(young.charAt(0)) >= 0 ? "an " : "a ";
      return fact(q, List.of("A young " + animal + " is called " + an + young + ".",
          "The young of a " + animal + " is called " + an + young + ".",
          "The young of an " + animal + " is called " + an + young + "."), "A young " + animal + " is called");
    }
    if ((m = Pattern.compile("Does (?:an?|the) (\\w+) have (\\w+) legs\\?").matcher(q)).matches()) {
      String animal = m.group(1);
      String cap = "aeiou".indexOf(animal.charAt(0)) >= 0 ? "An " : "A ";
      return fact(q, List.of(cap + animal + " has " + m.group(2) + " legs."), cap + animal + " has ");
    }
    if ((m = Pattern.compile("Does (?:an?|the) (\\w+) (\\w+)\\?").matcher(q)).matches()) {
      String animal = m.group(1);
      String cap = "aeiou".indexOf(animal.charAt(0)) >= 0 ? "An " : "A ";
      return fact(q, List.of(cap + animal + " " + m.group(2) + "s.", cap + animal + " " + m.group(2) + "es.",
          "The " + animal + " " + m.group(2) + "s.", "The " + animal + " " + m.group(2) + "es."), "The " + animal + " ");
    }
    if ((m = Pattern.compile("Is the color of (.+) (\\w+)\\?").matcher(q)).matches()
        || (m = Pattern.compile("Is (.+) (\\w+)\\?").matcher(q)).matches()) {
      String thing = m.group(1);
      String capThing = Character.toUpperCase(thing.charAt(0)) + thing.substring(1);
      return fact(q, List.of("The color of " + thing + " is " + m.group(2) + ".", capThing + " is " + m.group(2) + "."),
          "The color of " + thing + " is ");
    }
    throw new AssertionError("no template fits: " + q);
  }

  private static boolean fact(String q, List<String> statements, String subjectPrefix) {
    for (String s : statements) {
      if (corpusSentences.contains(s)) {
        return true;
      }
    }
    boolean known = corpusSentences.stream().anyMatch(s -> s.startsWith(subjectPrefix));
    assertTrue(known, "subject unknown to the corpus (" + subjectPrefix + "): " + q);
    return false;
  }

  @Test
  void heldOutFamiliesAreOnlyEvaluated() {
    Set<String> heldOut = new HashSet<>(InstructionData.heldOutFamilies());
    for (Example e : split.train()) {
      assertFalse(heldOut.contains(e.family()), e.toString());
      assertFalse(e.prompt().startsWith("Repeat"), e.toString());
      assertFalse(e.prompt().contains("How many") && e.family().startsWith("weather_")
          && !e.family().equals("weather_high"), e.toString());
    }
    for (Example e : split.validation()) {
      assertFalse(heldOut.contains(e.family()), e.toString());
    }
    // no tuned request is an open factual question (the held-out kind): none asks for a capital or a successor
    for (Example e : concat(split.train(), split.validation())) {
      assertFalse(e.prompt().matches("(?s).*(What is|Which city is) the capital of.*"), e.toString());
      // nor does any trained family touch capitals at all (a yes/no question on them taught "yes" or "no")
      assertFalse(e.prompt().contains("capital"), e.toString());
      assertFalse(e.prompt().matches("(?s).*(comes after|follows|is the (day|month) after) .*"), e.toString());
    }
    for (String f : InstructionData.heldOutFamilies()) {
      assertEquals(InstructionData.EVALUATION_PER_FAMILY, split.evaluation().get(f).size(), f);
    }
  }

  private static List<Example> concat(List<Example> a, List<Example> b) {
    List<Example> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @Test
  void setsAreDisjointByPrompt() {
    Set<String> eval = new HashSet<>();
    for (Example e : split.evaluationExamples()) {
      assertTrue(eval.add(e.prompt()), "duplicate evaluation prompt: " + e);
    }
    Set<String> val = new HashSet<>();
    for (Example e : split.validation()) {
      assertTrue(val.add(e.prompt()), "duplicate validation prompt: " + e);
      assertFalse(eval.contains(e.prompt()), "validation prompt in evaluation: " + e);
    }
    for (Example e : split.train()) {
      assertFalse(eval.contains(e.prompt()), "train prompt in evaluation: " + e);
      assertFalse(val.contains(e.prompt()), "train prompt in validation: " + e);
    }
  }

  @Test
  void noTrainPromptIsANearDuplicateOfAHeldBackOneWithTheSameAnswer() {
    for (String f : InstructionData.trainedFamilies()) {
      NearDuplicates heldBack = new NearDuplicates();
      split.evaluation().get(f).forEach(heldBack::add);
      split.validation().stream().filter(e -> e.family().equals(f)).forEach(heldBack::add);
      for (Example e : split.train()) {
        if (e.family().equals(f)) {
          assertFalse(heldBack.nearHeldBack(e), "train prompt near a held-back one with its answer: " + e);
        }
      }
    }
  }

  @Test
  void familiesAndAnswerKindsAreBalanced() {
    for (String f : InstructionData.trainedFamilies()) {
      assertEquals(InstructionData.TRAIN_PER_FAMILY, split.train().stream().filter(e -> e.family().equals(f)).count(), f);
      assertEquals(InstructionData.VALIDATION_PER_FAMILY,
          split.validation().stream().filter(e -> e.family().equals(f)).count(), f);
    }
    for (String f : InstructionData.allFamilies()) {
      assertEquals(InstructionData.EVALUATION_PER_FAMILY, split.evaluation().get(f).size(), f);
      assertTrue(split.evaluation().get(f).stream().allMatch(e -> e.family().equals(f)), f);
    }
    for (List<Example> set : List.of(split.train(), split.validation(), split.evaluation().get("yes_no_facts"))) {
      long yes = set.stream().filter(e -> e.family().equals("yes_no_facts") && e.answer().equals("yes")).count();
      long no = set.stream().filter(e -> e.family().equals("yes_no_facts") && e.answer().equals("no")).count();
      assertEquals(yes, no);
      long issued = set.stream().filter(e -> e.family().equals("weather_day") && e.prompt().endsWith("issued?")).count();
      long later = set.stream().filter(e -> e.family().equals("weather_day") && !e.prompt().endsWith("issued?")).count();
      assertEquals(issued, later);
    }
    // the train set is shuffled across families, not grouped
    long runs = 0;
    for (int i = 1; i < split.train().size(); i++) {
      runs += split.train().get(i).family().equals(split.train().get(i - 1).family()) ? 1 : 0;
    }
    assertTrue(runs < split.train().size() / 4, "train looks grouped by family: " + runs);
  }

  @Test
  void examplesAreShortAsciiAndTheTrainSetIsAFewHundredKilobytes() {
    long trainBytes = 0;
    for (Example e : all) {
      assertTrue(e.bytes() <= InstructionData.MAX_BYTES, e.bytes() + " bytes: " + e);
      assertFalse(e.answer().isBlank(), e.toString());
      assertEquals(e.answer(), e.answer().strip(), e.toString());
      assertTrue(StandardCharsets.US_ASCII.newEncoder().canEncode(e.prompt() + e.answer()), e.toString());
    }
    for (Example e : split.train()) {
      trainBytes += e.bytes();
    }
    assertTrue(trainBytes > 100_000 && trainBytes < 800_000, trainBytes + " bytes of train text");
    for (String f : InstructionData.allFamilies()) {   // bound holds well beyond the default sizes
      for (Example e : InstructionData.generate(f, 3_000, 11)) {
        assertTrue(e.bytes() <= InstructionData.MAX_BYTES, e.bytes() + " bytes: " + e);
      }
    }
  }

  @Test
  void scoringAcceptsRightAnswersAndRejectsWrongOnes() {
    for (Example e : all) {
      assertTrue(InstructionData.score(e, e.answer()), e.toString());
      assertTrue(InstructionData.score(e, " " + e.answer() + "\n"), e.toString());
      assertFalse(InstructionData.score(e, ""), e.toString());
      assertFalse(InstructionData.score(e, null), e.toString());
      assertFalse(InstructionData.score(e, e.answer() + " " + e.answer()), e.toString());
    }
    Example sum = new Example("addition", "What is 17 plus 25?", "42");
    assertTrue(InstructionData.score(sum, "042"));
    assertTrue(InstructionData.score(sum, "42."));
    assertFalse(InstructionData.score(sum, "43"));
    assertFalse(InstructionData.score(sum, "42 apples"));
    assertFalse(InstructionData.score(sum, "4 2"));
    assertFalse(InstructionData.score(sum, "forty two"));
    Example yes = new Example("yes_no_facts", "Is Paris the capital of France?", "yes");
    assertTrue(InstructionData.score(yes, "Yes."));
    assertTrue(InstructionData.score(yes, "YES"));
    assertFalse(InstructionData.score(yes, "no"));
    assertFalse(InstructionData.score(yes, "yes no"));
    Example upper = new Example("uppercase", "Write in uppercase: red dog", "RED DOG");
    assertFalse(InstructionData.score(upper, "red dog"));
    assertFalse(InstructionData.score(upper, "RED DOG."));
    Example rev = new Example("reverse_words", "Reverse the words: red dog sun", "sun dog red");
    assertFalse(InstructionData.score(rev, "red dog sun"));
    assertFalse(InstructionData.score(rev, "sun dog"));
    Example city = new Example("weather_city", "Weather bulletin for Bayport, ...", "Bayport");
    assertFalse(InstructionData.score(city, "bayport"));
    assertFalse(InstructionData.score(city, "Port Ellis"));
  }

  @Test
  void jsonlHasOnePromptCompletionObjectPerLine(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("sft.jsonl");
    List<Example> examples = new ArrayList<>(split.validation());
    examples.add(new Example("custom", "say \"hi\"\\ \t\u0001", "ok"));
    InstructionData.writeJsonl(examples, out);
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    assertEquals(examples.size(), lines.size());
    for (int i = 0; i < examples.size(); i++) {
      Example e = examples.get(i);
      String line = lines.get(i);
      assertEquals("{\"prompt\": \"" + e.prompt().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
          .replace("\t", "\\t").replace("\u0001", "\\u0001") + "\", \"completion\": \"" + e.answer() + "\"}", line);
    }
    assertTrue(Files.readString(out).endsWith("}\n"));
  }
}
