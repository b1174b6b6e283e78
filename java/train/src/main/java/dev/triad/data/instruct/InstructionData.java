package dev.triad.data.instruct;

import dev.triad.data.SplitMix64;
import dev.triad.data.SyntheticCorpus;
import dev.triad.data.instruct.Vocabulary.Hazard;
import dev.triad.data.instruct.Vocabulary.Town;
import dev.triad.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The embedded default instruction-tuning data: single-turn conversations (one user prompt, one
 * short assistant reply) in task families built on the vocabulary of
 * {@link dev.triad.data.SyntheticCorpus}, so supervised fine-tuning of a model pretrained on that
 * corpus teaches it the chat format and a few skills it can be measured on exactly.
 *
 * <p><b>Trained families</b> (in the train and validation sets and in evaluation):
 *
 * <ul>
 *   <li>{@code weather_city}: a short bulletin, "Which town is the bulletin for?" &rarr; the town.
 *   <li>{@code weather_day}: a short bulletin, "On which day was the bulletin issued?" (the first
 *       day) or "On which day is the hazard expected?" / "Which day is the forecast for?" (the
 *       second day), half each.
 *   <li>{@code weather_high}: a hazard-free bulletin, "How many degrees is the forecast high?"
 *       &rarr; the number in it.
 *   <li>{@code addition} "What is 17 plus 25?" &rarr; "42" and {@code subtraction} "What is 43
 *       minus 18?" &rarr; "25" (operands 0-99, never negative, as in the corpus).
 *   <li>{@code reverse_words} (3-4 words), {@code uppercase} (2-4 words), {@code count_words}
 *       (2-6 words, reply a digit).
 *   <li>{@code number_words}: "Write as digits: three hundred forty two" &rarr; "342" (0-999, half
 *       of them below 100; 0-99 alone has too few distinct prompts for disjoint splits).
 *   <li>{@code yes_no_facts}: colours, sounds, legs, young animals, all facts the corpus states;
 *       exactly half "yes", half "no" (a wrong value from the same list). Never capitals: those
 *       belong to the held-out capital_city, and a trained family asking about them in yes/no form
 *       would teach the model that a question about a capital gets "yes" or "no".
 *   <li>{@code lowercase}: "Write in lowercase: RED DOG SUN" &rarr; "red dog sun" (2-4 words) and
 *       {@code last_word}: "What is the last word of red dog sun?" &rarr; "sun" (2-4 words).
 * </ul>
 *
 * <p><b>Held-out families</b> (evaluation only; never in train or validation): open questions,
 * where every trained family either transforms text given in the prompt, reads a bulletin, does
 * arithmetic or answers yes or no. The knowledge they need is in the pretraining corpus, stated
 * ("The capital of Kenya is Nairobi.", "The day after Monday is Tuesday.") and asked in its quiz
 * paragraphs ("Q: What is the capital of Kenya?" / "A: Nairobi"), but no instruction ever asks an
 * open factual question, so they measure whether tuning on other requests teaches the model to
 * answer a kind of request it was never tuned on from what pretraining taught it.
 *
 * <ul>
 *   <li>{@code capital_city}: "What is the capital of Kenya?" or "Which city is the capital of
 *       Kenya?" &rarr; "Nairobi" (35 countries).
 *   <li>{@code next_in_order}: "What day comes after Monday?", "Which month follows March?", "What
 *       is the day after Sunday?" &rarr; "Tuesday", "April", "Monday" (7 days, 12 months, three
 *       phrasings).
 * </ul>
 *
 * <p><b>Splits</b> ({@link #split}): evaluation, validation and train prompts are disjoint, and no
 * train prompt is a near duplicate, with the same answer, of an evaluation or validation prompt
 * (templated prompts have siblings that differ only in a detail the question does not ask about;
 * those fall on the held-back side).
 *
 * <p>Every prompt plus its answer is at most {@link #MAX_BYTES} bytes (ASCII). A bulletin is
 * shortened to its first sentence plus one forecast or hazard sentence, separated from the
 * question by a newline.
 *
 * <p>Exactly reproducible: all randomness is {@link SplitMix64} (dev.triad.data.SplitMix64),
 * each family draws from its own stream (so adding a family changes no other family's data), and
 * nothing depends on hash iteration order.
 */
public final class InstructionData {
  private InstructionData() {}

  /** The bound on {@code prompt.length() + answer.length()} of every generated example. */
  public static final int MAX_BYTES = 220;
  /** Default train examples per trained family. */
  public static final int TRAIN_PER_FAMILY = 600;
  /** Default validation examples per trained family. */
  public static final int VALIDATION_PER_FAMILY = 50;
  /** Default evaluation examples per family, trained and held out. */
  public static final int EVALUATION_PER_FAMILY = 40;

  public static final String WEATHER_CITY = "weather_city";
  public static final String WEATHER_DAY = "weather_day";
  public static final String WEATHER_HIGH = "weather_high";
  public static final String ADDITION = "addition";
  public static final String SUBTRACTION = "subtraction";
  public static final String REVERSE_WORDS = "reverse_words";
  public static final String UPPERCASE = "uppercase";
  public static final String COUNT_WORDS = "count_words";
  public static final String NUMBER_WORDS = "number_words";
  public static final String YES_NO_FACTS = "yes_no_facts";
  public static final String LOWERCASE = "lowercase";
  public static final String LAST_WORD = "last_word";
  public static final String CAPITAL_CITY = "capital_city";
  public static final String NEXT_IN_ORDER = "next_in_order";

  private static final List<String> TRAINED = List.of(WEATHER_CITY, WEATHER_DAY, WEATHER_HIGH, ADDITION,
      SUBTRACTION, REVERSE_WORDS, UPPERCASE, COUNT_WORDS, NUMBER_WORDS, YES_NO_FACTS, LOWERCASE, LAST_WORD);
  private static final List<String> HELD_OUT = List.of(CAPITAL_CITY, NEXT_IN_ORDER);
  /** Families whose reply is a word or name, scored ignoring case and a final period or "!". */
  private static final Set<String> LENIENT = Set.of(YES_NO_FACTS, CAPITAL_CITY, NEXT_IN_ORDER);
  /** Families whose reply is an integer, scored as integers. */
  private static final Set<String> NUMERIC = Set.of(WEATHER_HIGH, ADDITION, SUBTRACTION, COUNT_WORDS,
      NUMBER_WORDS);

  /** The trained families, in a fixed order. */
  public static List<String> trainedFamilies() {
    return TRAINED;
  }

  /** The held-out families (evaluation only), in a fixed order. */
  public static List<String> heldOutFamilies() {
    return HELD_OUT;
  }

  /** Trained then held-out families. */
  public static List<String> allFamilies() {
    List<String> all = new ArrayList<>(TRAINED);
    all.addAll(HELD_OUT);
    return List.copyOf(all);
  }

  /**
   * The default data.
   *
   * @param train trained families only, shuffled across families
   * @param validation trained families only, grouped by family in {@link #trainedFamilies()} order
   * @param evaluation per family, trained then held-out, in a fixed order
   */
  public record Split(List<Example> train, List<Example> validation, Map<String, List<Example>> evaluation) {
    /** All evaluation examples, family by family. */
    public List<Example> evaluationExamples() {
      List<Example> all = new ArrayList<>();
      evaluation.values().forEach(all::addAll);
      return all;
    }
  }

  /**
   * {@link #TRAIN_PER_FAMILY} train and {@link #VALIDATION_PER_FAMILY} validation examples per
   * trained family and {@link #EVALUATION_PER_FAMILY} evaluation examples per family; about 300 KB
   * of train text.
   */
  public static Split defaultSplit(long seed) {
    return split(seed, TRAIN_PER_FAMILY, VALIDATION_PER_FAMILY, EVALUATION_PER_FAMILY);
  }

  /**
   * Train, validation and evaluation sets, pairwise disjoint by prompt. Evaluation and validation
   * prompts are distinct within their set; train may repeat a prompt (only yes_no_facts, whose
   * true statements are few, does so noticeably) but never one from validation or evaluation, nor a
   * near duplicate of one with the same answer ({@link NearDuplicates}: a bulletin that differs from a
   * held-back one only in a detail the question does not ask about, a word list that ends like a
   * held-back one in last_word, the other phrasing of a held-back yes/no fact).
   * Families with two kinds of question (yes/no, issued/expected day) alternate them, so every
   * set is balanced.
   *
   * @throws IllegalArgumentException if a count is negative
   * @throws IllegalStateException if a family has too few distinct prompts for the counts asked
   */
  public static Split split(long seed, int trainPerFamily, int validationPerFamily, int evaluationPerFamily) {
    if (trainPerFamily < 0 || validationPerFamily < 0 || evaluationPerFamily < 0) {
      throw new IllegalArgumentException("example counts must be non-negative, got train " + trainPerFamily
          + ", validation " + validationPerFamily + ", evaluation " + evaluationPerFamily);
    }
    List<Example> train = new ArrayList<>();
    List<Example> validation = new ArrayList<>();
    Map<String, List<Example>> evaluation = new LinkedHashMap<>();
    for (String family : allFamilies()) {
      boolean trained = TRAINED.contains(family);
      SplitMix64 rng = SplitMix64.of(seed, stream(family));
      Set<String> reserved = new HashSet<>();            // membership tests only, never iterated
      NearDuplicates heldBack = new NearDuplicates();
      evaluation.put(family, List.copyOf(draw(family, rng, evaluationPerFamily, reserved, heldBack, true)));
      if (trained) {
        validation.addAll(draw(family, rng, validationPerFamily, reserved, heldBack, true));
        train.addAll(draw(family, rng, trainPerFamily, reserved, heldBack, false));
      }
    }
    SplitMix64 order = SplitMix64.of(seed, stream("train order"));
    order.shuffle(train);
    return new Split(List.copyOf(train), List.copyOf(validation), Collections.unmodifiableMap(evaluation));
  }

  private static final int MAX_TRIES = 10_000;

  /**
   * {@code n} examples whose prompts are not in {@code reserved}. A held-back set (evaluation,
   * validation: {@code holdBack}) is distinct and adds each example to {@code reserved} and
   * {@code heldBack}; the train set may repeat its own prompts but also refuses the near duplicates of
   * held-back examples with the same answer ({@link NearDuplicates}).
   */
  private static List<Example> draw(String family, SplitMix64 rng, int n, Set<String> reserved,
      NearDuplicates heldBack, boolean holdBack) {
    List<Example> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Example e = null;
      for (int tries = 0; e == null; tries++) {
        if (tries == MAX_TRIES) {
          throw new IllegalStateException("family " + family + " ran out of distinct prompts after "
              + out.size() + " examples (" + reserved.size() + " reserved)");
        }
        Example candidate = make(family, rng, i);
        if (!reserved.contains(candidate.prompt()) && (holdBack || !heldBack.nearHeldBack(candidate))) {
          e = candidate;
        }
      }
      if (holdBack) {
        reserved.add(e.prompt());
        heldBack.add(e);
      }
      out.add(e);
    }
    return out;
  }

  /**
   * {@code n} examples of {@code family}, the same for the same arguments on every JVM; prompts
   * may repeat. Alternating families (yes/no, issued/expected day) alternate from the first.
   *
   * @throws IllegalArgumentException for an unknown family or a negative {@code n}
   */
  public static List<Example> generate(String family, int n, long seed) {
    if (!TRAINED.contains(family) && !HELD_OUT.contains(family)) {
      throw new IllegalArgumentException("unknown instruction family '" + family + "', known: " + allFamilies());
    }
    if (n < 0) {
      throw new IllegalArgumentException("example count must be non-negative, got " + n);
    }
    SplitMix64 rng = SplitMix64.of(seed, stream(family));
    List<Example> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(make(family, rng, i));
    }
    return List.copyOf(out);
  }

  /** A stable stream id for a name: FNV-1a over its characters (never String.hashCode's 32 bits). */
  private static long stream(String name) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < name.length(); i++) {
      h = (h ^ name.charAt(i)) * 0x100000001b3L;
    }
    return h;
  }

  // ---------------------------------------------------------------- generators

  private static Example make(String family, SplitMix64 rng, int slot) {
    switch (family) {
      case WEATHER_CITY: return weatherCity(rng);
      case WEATHER_DAY: return weatherDay(rng, slot);
      case WEATHER_HIGH: return weatherHigh(rng);
      case ADDITION: {
        int a = rng.nextInt(100);
        int b = rng.nextInt(100);
        return new Example(family, "What is " + a + " plus " + b + "?", Integer.toString(a + b));
      }
      case SUBTRACTION: {
        int a = rng.nextInt(100);
        int b = rng.nextInt(a + 1);
        return new Example(family, "What is " + a + " minus " + b + "?", Integer.toString(a - b));
      }
      case REVERSE_WORDS: {
        List<String> w = words(rng, 3, 4);
        List<String> r = new ArrayList<>(w);
        Collections.reverse(r);
        return new Example(family, "Reverse the words: " + String.join(" ", w), String.join(" ", r));
      }
      case UPPERCASE: {
        String s = String.join(" ", words(rng, 2, 4));
        return new Example(family, "Write in uppercase: " + s, s.toUpperCase(Locale.ROOT));
      }
      case COUNT_WORDS: {
        List<String> w = words(rng, 2, 6);
        return new Example(family, "Count the words: " + String.join(" ", w), Integer.toString(w.size()));
      }
      case NUMBER_WORDS: {
        int v = rng.chance(0.5) ? rng.nextInt(100) : rng.nextInt(100, 999);
        return new Example(family, "Write as digits: " + numberWords(v), Integer.toString(v));
      }
      case YES_NO_FACTS: return yesNo(rng, slot % 2 == 0);
      case LOWERCASE: {
        String s = String.join(" ", words(rng, 2, 4));
        return new Example(family, "Write in lowercase: " + s.toUpperCase(Locale.ROOT), s);
      }
      case LAST_WORD: {
        List<String> w = words(rng, 2, 4);
        return new Example(family, "What is the last word of " + String.join(" ", w) + "?", w.get(w.size() - 1));
      }
      case CAPITAL_CITY: {
        String[] c = rng.pick(Vocabulary.CAPITALS);
        return new Example(family, (rng.chance(0.5) ? "Which city is" : "What is") + " the capital of " + c[0] + "?",
            c[1]);
      }
      case NEXT_IN_ORDER: {
        boolean months = rng.chance(12.0 / 19);           // every day and month equally likely
        List<String> list = months ? Vocabulary.MONTHS : Vocabulary.DAYS;
        int k = rng.nextInt(list.size());
        List<String> phrasings = SyntheticCorpus.successorQuestions(months ? "month" : "day", list.get(k));
        return new Example(family, phrasings.get(rng.nextInt(phrasings.size())), list.get((k + 1) % list.size()));
      }
      default: throw new IllegalArgumentException("unknown instruction family '" + family + "'");
    }
  }

  /** A bulletin: its text and the facts a question may ask about. */
  private record Bulletin(String text, String town, String issuedDay, String nextDay, Hazard hazard, int amount) {}

  private static String header(Town town, String day, SplitMix64 rng) {
    return "Weather bulletin for " + town.name() + ", issued on " + day + " " + rng.pick(Vocabulary.ISSUED) + ".";
  }

  /** Header plus one hazard sentence (the corpus's detail sentence, hazard chosen by climate). */
  private static Bulletin hazardBulletin(SplitMix64 rng) {
    Town town = rng.pick(Vocabulary.TOWNS);
    int day = rng.nextInt(7);
    String today = Vocabulary.DAYS.get(day);
    String tomorrow = Vocabulary.DAYS.get((day + 1) % 7);
    String head = header(town, today, rng);
    Hazard h = rng.pick(Vocabulary.hazards(town.climate()));
    int n = rng.nextInt(h.lo(), h.hi());
    String detail = h.detail().replace("{day}", tomorrow).replace("{n}", Integer.toString(n))
        .replace("{unit}", n == 1 ? h.unitOne() : h.unitMany());
    return new Bulletin(head + " " + detail, town.name(), today, tomorrow, h, n);
  }

  /**
   * Header, sometimes "No hazards are expected for TOWN." (when it fits {@code room}), and the
   * corpus's forecast sentence.
   */
  private static Bulletin calmBulletin(SplitMix64 rng, int room) {
    Town town = rng.pick(Vocabulary.TOWNS);
    int day = rng.nextInt(7);
    String today = Vocabulary.DAYS.get(day);
    String tomorrow = Vocabulary.DAYS.get((day + 1) % 7);
    String head = header(town, today, rng);
    boolean noHazards = rng.chance(0.5);
    int[] range = Vocabulary.highs(town.climate());
    int high = rng.nextInt(range[0], range[1]);
    String forecast = "The forecast for " + tomorrow + " is " + rng.pick(Vocabulary.SKIES) + " with a high of "
        + high + " degrees.";
    String middle = " No hazards are expected for " + town.name() + ".";
    String text = head + (noHazards && head.length() + middle.length() + 1 + forecast.length() <= room ? middle : "")
        + " " + forecast;
    return new Bulletin(text, town.name(), today, tomorrow, null, high);
  }

  /** Room left for a bulletin given the question and the longest answer it can have. */
  private static int room(String question, int longestAnswer) {
    return MAX_BYTES - 1 - question.length() - longestAnswer;
  }

  private static final int LONGEST_TOWN = 13;   // "Dunmore Beach"
  private static final int LONGEST_DAY = 9;     // "Wednesday"

  private static Example weatherCity(SplitMix64 rng) {
    String q = rng.chance(0.5) ? "Which town is the bulletin for?" : "Which town is this bulletin for?";
    Bulletin b = rng.chance(0.7) ? hazardBulletin(rng) : calmBulletin(rng, room(q, LONGEST_TOWN));
    return new Example(WEATHER_CITY, b.text() + "\n" + q, b.town());
  }

  private static Example weatherDay(SplitMix64 rng, int slot) {
    boolean hazard = rng.chance(0.7);
    boolean issued = slot % 2 == 0;
    String q = issued ? "On which day was the bulletin issued?"
        : hazard ? "On which day is the hazard expected?" : "Which day is the forecast for?";
    Bulletin b = hazard ? hazardBulletin(rng) : calmBulletin(rng, room(q, LONGEST_DAY));
    return new Example(WEATHER_DAY, b.text() + "\n" + q, issued ? b.issuedDay() : b.nextDay());
  }

  private static Example weatherHigh(SplitMix64 rng) {
    String q = "How many degrees is the forecast high?";
    Bulletin b = calmBulletin(rng, room(q, 2));
    return new Example(WEATHER_HIGH, b.text() + "\n" + q, Integer.toString(b.amount()));
  }

  /** {@code lo} to {@code hi} distinct words. */
  private static List<String> words(SplitMix64 rng, int lo, int hi) {
    int n = rng.nextInt(lo, hi);
    List<String> out = new ArrayList<>(n);
    while (out.size() < n) {
      String w = rng.pick(Vocabulary.WORDS);
      if (!out.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }

  private static final String[] ONES = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
      "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
      "nineteen"};
  private static final String[] TENS = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
      "eighty", "ninety"};

  /** English words for 0-999 without hyphens or "and": "three hundred forty two". */
  static String numberWords(int v) {
    if (v < 0 || v > 999) {
      throw new IllegalArgumentException("number out of range 0-999: " + v);
    }
    if (v < 20) {
      return ONES[v];
    }
    if (v < 100) {
      return TENS[v / 10] + (v % 10 == 0 ? "" : " " + ONES[v % 10]);
    }
    return ONES[v / 100] + " hundred" + (v % 100 == 0 ? "" : " " + numberWords(v % 100));
  }

  private static Example yesNo(SplitMix64 rng, boolean yes) {
    int topic = rng.nextInt(4);
    boolean alt = rng.chance(0.5);
    String q;
    switch (topic) {
      case 0: {
        String[] c = rng.pick(Vocabulary.COLORS);
        String color = yes ? c[1] : otherThan(rng, Vocabulary.COLORS, 1, c[1]);
        q = alt ? "Is the color of " + c[0] + " " + color + "?" : "Is " + c[0] + " " + color + "?";
        break;
      }
      case 1: {
        String[] s = rng.pick(Vocabulary.SOUNDS);
        String sound = yes ? s[1] : otherThan(rng, Vocabulary.SOUNDS, 1, s[1]);
        q = "Does " + (alt ? "the " : article(s[0])) + s[0] + " " + baseVerb(sound) + "?";
        break;
      }
      case 2: {
        String[] l = rng.pick(Vocabulary.LEGS);
        String legs = yes ? l[1] : otherThan(rng, Vocabulary.LEGS, 1, l[1]);
        q = "Does " + (alt ? "the " : article(l[0])) + l[0] + " have " + legs + " legs?";
        break;
      }
      default: {
        String[] y = rng.pick(Vocabulary.YOUNG);
        String young = yes ? y[1] : otherThan(rng, Vocabulary.YOUNG, 1, y[1]);
        q = (alt ? "Is the young of " + article(y[0]) + y[0] : "Is a young " + y[0]) + " called "
            + article(young) + young + "?";
        break;
      }
    }
    return new Example(YES_NO_FACTS, q, yes ? "yes" : "no");
  }

  /** Column {@code col} of a random row whose value differs from {@code not}. */
  private static String otherThan(SplitMix64 rng, String[][] rows, int col, String not) {
    while (true) {
      String v = rng.pick(rows)[col];
      if (!v.equals(not)) {
        return v;
      }
    }
  }

  private static String article(String noun) {
    return "aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ";
  }

  /** "barks" -> "bark", "hisses" -> "hiss", "buzzes" -> "buzz". */
  private static String baseVerb(String s) {
    return s.endsWith("sses") || s.endsWith("zzes") ? s.substring(0, s.length() - 2) : s.substring(0, s.length() - 1);
  }

  // ---------------------------------------------------------------- scoring

  private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,9}");

  /**
   * Whether {@code produced} (the model's reply) answers {@code e}. Replies are trimmed of
   * whitespace. Numeric families (weather_high, addition, subtraction, count_words, number_words)
   * compare as integers and tolerate one trailing period ("042." matches "42");
   * yes_no_facts, capital_city and next_in_order compare case-insensitively and tolerate a trailing
   * period or "!"; every other family (and any family not known here) needs the exact answer.
   */
  public static boolean score(Example e, String produced) {
    if (produced == null) {
      return false;
    }
    String p = produced.strip();
    String want = e.answer().strip();
    if (NUMERIC.contains(e.family())) {
      p = dropLast(p, ".");
      if (!INTEGER.matcher(p).matches() || !INTEGER.matcher(want).matches()) {
        return p.equals(want);
      }
      return Integer.parseInt(p) == Integer.parseInt(want);
    }
    if (LENIENT.contains(e.family())) {
      return dropLast(dropLast(p, "."), "!").strip().equalsIgnoreCase(want);
    }
    return p.equals(want);
  }

  private static String dropLast(String s, String suffix) {
    return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
  }

  // ---------------------------------------------------------------- export

  /**
   * Writes {@code examples} as JSON Lines, one {@code {"prompt": ..., "completion": ...}} object
   * per line (UTF-8, LF), replacing {@code path} atomically.
   */
  public static void writeJsonl(List<Example> examples, Path path) throws IOException {
    StringBuilder sb = new StringBuilder(examples.size() * 128);
    for (Example e : examples) {
      sb.append("{\"prompt\": ").append(jsonString(e.prompt()))
          .append(", \"completion\": ").append(jsonString(e.answer())).append("}\n");
    }
    AtomicFiles.writeString(path, sb.toString());
  }

  /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"').toString();
  }
}
