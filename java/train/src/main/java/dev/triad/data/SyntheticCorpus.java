package dev.triad.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The embedded default training text: a generated English corpus, so {@code triad tokenize} and
 * pretraining work on a fresh machine with no download, and so a small model has something it can
 * visibly learn in minutes. Five kinds of paragraph, each with regular, checkable structure:
 *
 * <ul>
 *   <li><b>Weather bulletins</b> for 30 invented towns. Each town has a fixed climate (coastal,
 *       mountain, desert, plains, lakeside) that decides which hazards it gets; each hazard has a
 *       fixed sentence, unit and value range (flood watch: 1-4 inches of rain; winter storm: 6-24
 *       inches of snow; ...) and a fixed piece of advice; the hazard is always expected on the day
 *       after the bulletin's day, and the town's name recurs. A model can learn the templates,
 *       the town-to-hazard and hazard-to-unit associations, the day successor and copying.</li>
 *   <li><b>Simple facts</b> in templated sentences: capitals, colours, animal sounds, legs,
 *       young animals, day and month order. All true.</li>
 *   <li><b>Arithmetic</b>: "17 plus 25 is 42." (operands 0-99), "43 minus 18 is 25." (never
 *       negative), "6 times 7 is 42." (0-12): always correct.</li>
 *   <li><b>Word games</b>: operations on short lists of {@link #WORDS} stated in prose:
 *       "Reversed, red dog sun is sun dog red.", "In uppercase, red dog is RED DOG.", "In
 *       lowercase, RED DOG is red dog.", "The first word of red dog sun is red.", "The last word
 *       of red dog sun is sun.", "There are 3 words in red dog sun." These are the skills the
 *       instruction data ({@code dev.triad.data.instruct}) asks for.</li>
 *   <li><b>Quizzes</b>: 3 to 6 questions, each on a "Q: " line followed by its answer on an
 *       "A: " line, as a quiz sheet or FAQ page prints them: sums, word games (two phrasings
 *       each, one of them the instruction data's), capitals, colours, legs, young animals, day and
 *       month order. Web text is full of such question-answer pairs, and they are what lets a
 *       tuned model answer a kind of request it was never tuned on (the held-out families of
 *       {@code InstructionData}, open questions on capitals and on day and month order):
 *       pretraining teaches the knowledge and that questions get answers, tuning teaches the chat
 *       format and when to stop.</li>
 * </ul>
 *
 * <p>Exactly reproducible: the only randomness is {@link SplitMix64}, specified in this package,
 * and every choice is made from fixed lists in a fixed order (no hash-order dependence), so a seed
 * gives the same text on every JVM. Text is ASCII, so characters equal UTF-8 bytes.
 */
public final class SyntheticCorpus {
  /** The default size, about 3 MB. */
  public static final long DEFAULT_BYTES = 3_000_000;
  /** The default seed of {@code triad tokenize}. */
  public static final long DEFAULT_SEED = 1337;

  private SyntheticCorpus() {}

  private enum Climate { COASTAL, MOUNTAIN, DESERT, PLAINS, LAKESIDE }

  private record Town(String name, Climate climate) {}

  private static final List<Town> TOWNS = List.of(
      new Town("Springfield", Climate.PLAINS), new Town("Riverton", Climate.LAKESIDE),
      new Town("Port Ellis", Climate.COASTAL), new Town("Cedar Falls", Climate.MOUNTAIN),
      new Town("Dry Creek", Climate.DESERT), new Town("Fairview", Climate.PLAINS),
      new Town("Bayport", Climate.COASTAL), new Town("Pine Ridge", Climate.MOUNTAIN),
      new Town("Sandstone", Climate.DESERT), new Town("Lakewood", Climate.LAKESIDE),
      new Town("Millbrook", Climate.PLAINS), new Town("Seabright", Climate.COASTAL),
      new Town("Eagle Peak", Climate.MOUNTAIN), new Town("Red Mesa", Climate.DESERT),
      new Town("Clearwater", Climate.LAKESIDE), new Town("Oakdale", Climate.PLAINS),
      new Town("Harbor City", Climate.COASTAL), new Town("Snowmass", Climate.MOUNTAIN),
      new Town("Cactus Flats", Climate.DESERT), new Town("North Shore", Climate.LAKESIDE),
      new Town("Greenfield", Climate.PLAINS), new Town("Saltmarsh", Climate.COASTAL),
      new Town("Timberline", Climate.MOUNTAIN), new Town("Sun Valley", Climate.DESERT),
      new Town("Willow Bay", Climate.LAKESIDE), new Town("Prairie Hill", Climate.PLAINS),
      new Town("Dunmore Beach", Climate.COASTAL), new Town("Stone Gap", Climate.MOUNTAIN),
      new Town("Copper Wells", Climate.DESERT), new Town("Maple Lake", Climate.LAKESIDE));

  /** The days of the week and the months, in order (the successor facts and quizzes). */
  public static final List<String> DAYS =
      List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");
  public static final List<String> MONTHS = List.of("January", "February", "March", "April", "May",
      "June", "July", "August", "September", "October", "November", "December");
  private static final List<String> ISSUED = List.of("morning", "afternoon", "evening");
  private static final List<String> PERIODS =
      List.of("all night", "all day", "until noon", "through the evening", "until midnight");

  /**
   * A hazard: its product name, the sentence describing it ({@code {day}}, {@code {n}} and
   * {@code {unit}} are filled in), the unit's singular and plural, the amount range (inclusive)
   * and its advice (completing "Residents of TOWN ...").
   */
  private record Hazard(String name, String detail, String unitOne, String unitMany, int lo, int hi, String advice) {}

  private static final Hazard FLOOD = new Hazard("flash flood watch",
      "Heavy rain is expected on {day} with {n} {unit} of rain.", "inch", "inches", 1, 4,
      "should not drive through flooded roads.");
  private static final Hazard SNOW = new Hazard("winter storm warning",
      "Heavy snow is expected on {day} with {n} {unit} of snow.", "inch", "inches", 6, 24,
      "should avoid travel.");
  private static final Hazard HEAT = new Hazard("heat advisory",
      "Temperatures will reach {n} {unit} on {day}.", "degree", "degrees", 100, 115,
      "should drink plenty of water and stay out of the sun.");
  private static final Hazard WIND = new Hazard("wind advisory",
      "Winds will gust up to {n} {unit} per hour on {day}.", "mile", "miles", 40, 60,
      "should secure loose objects outdoors.");
  private static final Hazard FOG = new Hazard("dense fog advisory",
      "Visibility will drop below {n} {unit} on {day}.", "foot", "feet", 100, 400,
      "should drive slowly and use low beams.");
  private static final Hazard HURRICANE = new Hazard("hurricane warning",
      "Winds of {n} {unit} per hour are expected on {day}.", "mile", "miles", 75, 130,
      "should follow evacuation orders.");
  private static final Hazard FROST = new Hazard("frost advisory",
      "Temperatures will fall to {n} {unit} on {day}.", "degree", "degrees", 28, 32,
      "should cover sensitive plants.");
  private static final Hazard FIRE = new Hazard("red flag warning",
      "Dry winds and low humidity are expected on {day}, with humidity near {n} {unit}.", "percent", "percent", 5, 15,
      "should not burn anything outdoors.");
  private static final Hazard STORM = new Hazard("severe thunderstorm watch",
      "Storms with hail are expected on {day}, with gusts up to {n} {unit} per hour.", "mile", "miles", 50, 70,
      "should stay indoors during the storms.");

  private static List<Hazard> hazards(Climate c) {
    switch (c) {
      case COASTAL: return List.of(HURRICANE, FLOOD, FOG, WIND);
      case MOUNTAIN: return List.of(SNOW, WIND, FROST);
      case DESERT: return List.of(HEAT, FIRE, WIND);
      case PLAINS: return List.of(STORM, WIND, HEAT, SNOW);
      default: return List.of(FLOOD, FOG, SNOW, STORM);
    }
  }

  /** Ordinary highs by climate, in degrees, for hazard-free forecasts. */
  private static int[] highs(Climate c) {
    switch (c) {
      case COASTAL: return new int[] {65, 80};
      case MOUNTAIN: return new int[] {35, 60};
      case DESERT: return new int[] {85, 99};
      case PLAINS: return new int[] {55, 85};
      default: return new int[] {50, 75};
    }
  }

  /**
   * Short lowercase words, 2 to 6 letters, distinct, all also used elsewhere in the corpus: the
   * material of word-game paragraphs and of the instruction data's word families.
   */
  public static final List<String> WORDS = List.of(
      "dog", "cat", "cow", "duck", "pig", "lion", "owl", "bee", "frog", "wolf", "sheep", "horse",
      "mouse", "goat", "bear", "deer", "swan", "crab", "ant", "red", "blue", "green", "white",
      "black", "yellow", "brown", "orange", "rain", "snow", "sun", "wind", "fog", "hail", "sky",
      "milk", "coal", "lime", "lemon", "grass", "roads", "water", "day", "night", "noon", "lamb",
      "calf", "low", "clear");

  private static final List<String> SKIES = List.of("sunny", "partly cloudy", "cloudy", "clear");

  private static final String[][] CAPITALS = {
      {"France", "Paris"}, {"Germany", "Berlin"}, {"Italy", "Rome"}, {"Spain", "Madrid"},
      {"Japan", "Tokyo"}, {"China", "Beijing"}, {"Canada", "Ottawa"}, {"Egypt", "Cairo"},
      {"Russia", "Moscow"}, {"India", "New Delhi"}, {"Brazil", "Brasilia"}, {"Australia", "Canberra"},
      {"Mexico", "Mexico City"}, {"Kenya", "Nairobi"}, {"Greece", "Athens"}, {"Portugal", "Lisbon"},
      {"Norway", "Oslo"}, {"Sweden", "Stockholm"}, {"Poland", "Warsaw"}, {"Ireland", "Dublin"},
      {"Argentina", "Buenos Aires"}, {"Peru", "Lima"}, {"Thailand", "Bangkok"}, {"Turkey", "Ankara"},
      {"Austria", "Vienna"}, {"the Netherlands", "Amsterdam"}, {"Belgium", "Brussels"},
      {"Denmark", "Copenhagen"}, {"Finland", "Helsinki"}, {"Hungary", "Budapest"}, {"Cuba", "Havana"},
      {"Chile", "Santiago"}, {"Vietnam", "Hanoi"}, {"South Korea", "Seoul"}, {"Indonesia", "Jakarta"}};

  private static final String[][] COLORS = {
      {"the sky on a clear day", "blue"}, {"fresh grass", "green"}, {"snow", "white"}, {"coal", "black"},
      {"a ripe banana", "yellow"}, {"a ripe tomato", "red"}, {"a lemon", "yellow"}, {"a carrot", "orange"},
      {"milk", "white"}, {"a ripe strawberry", "red"}, {"a lime", "green"}, {"an eggplant", "purple"},
      {"a pumpkin", "orange"}, {"chocolate", "brown"}};

  private static final String[][] SOUNDS = {
      {"dog", "barks"}, {"cat", "meows"}, {"cow", "moos"}, {"duck", "quacks"}, {"sheep", "bleats"},
      {"horse", "neighs"}, {"pig", "oinks"}, {"lion", "roars"}, {"owl", "hoots"}, {"snake", "hisses"},
      {"bee", "buzzes"}, {"frog", "croaks"}, {"rooster", "crows"}, {"wolf", "howls"}, {"mouse", "squeaks"},
      {"donkey", "brays"}};

  private static final String[][] LEGS = {
      {"spider", "eight"}, {"ant", "six"}, {"beetle", "six"}, {"bee", "six"}, {"dog", "four"},
      {"cat", "four"}, {"horse", "four"}, {"cow", "four"}, {"chicken", "two"}, {"duck", "two"},
      {"ostrich", "two"}, {"crab", "ten"}};

  private static final String[][] YOUNG = {
      {"dog", "puppy"}, {"cat", "kitten"}, {"cow", "calf"}, {"sheep", "lamb"}, {"horse", "foal"},
      {"goat", "kid"}, {"pig", "piglet"}, {"duck", "duckling"}, {"bear", "cub"}, {"lion", "cub"},
      {"kangaroo", "joey"}, {"deer", "fawn"}, {"goose", "gosling"}, {"swan", "cygnet"}};

  /** About 3 MB of documents for {@code seed}. */
  public static List<String> documents(long seed) {
    return documents(seed, DEFAULT_BYTES);
  }

  /**
   * Documents (one paragraph each) whose lengths add up to at least {@code approxBytes} and
   * exceed it by less than one document (a few hundred bytes).
   *
   * @throws IllegalArgumentException if {@code approxBytes} is not positive
   */
  public static List<String> documents(long seed, long approxBytes) {
    return documents(seed, approxBytes, Mix.DEFAULT);
  }

  /**
   * How often each kind of paragraph is drawn: five non-negative weights, normalised. Each document
   * draws one uniform number and picks the kind whose share of [0, 1) holds it.
   *
   * @param bounds the upper ends of the first four kinds' shares, increasing (weather, facts,
   *     arithmetic, word games; quizzes take the rest)
   */
  public record Mix(double[] bounds) {
    /** The default corpus's mix: weather 35%, facts 15%, arithmetic 15%, word games 15%, quizzes 20%. */
    public static final Mix DEFAULT = new Mix(new double[] {0.35, 0.5, 0.65, 0.8});
    /**
     * The demo's mix: weather 15%, facts 30%, arithmetic 15%, word games 15%, quizzes 25%; twice the
     * facts and more quizzes, so that a few minutes of pretraining store the facts that the held-out
     * instruction families ask about (capitals, day and month order).
     */
    public static final Mix KNOWLEDGE = of(0.15, 0.30, 0.15, 0.15, 0.25);

    public Mix {
      bounds = bounds.clone();
      if (bounds.length != 4) {
        throw new IllegalArgumentException("a corpus mix has 4 bounds (5 kinds), got " + bounds.length);
      }
      for (int i = 0; i < 4; i++) {
        if (!(bounds[i] >= (i == 0 ? 0 : bounds[i - 1]) && bounds[i] <= 1)) {
          throw new IllegalArgumentException("corpus mix bounds must increase within [0, 1], got "
              + java.util.Arrays.toString(bounds));
        }
      }
    }

    /**
     * The mix with these weights (any scale, at least one positive).
     *
     * @throws IllegalArgumentException for a negative, non-finite or all-zero weight
     */
    public static Mix of(double weather, double facts, double arithmetic, double wordGames, double quizzes) {
      double[] w = {weather, facts, arithmetic, wordGames, quizzes};
      double sum = 0;
      for (double x : w) {
        if (!(x >= 0) || !Double.isFinite(x)) {
          throw new IllegalArgumentException("corpus mix weights must be finite and >= 0, got "
              + java.util.Arrays.toString(w));
        }
        sum += x;
      }
      if (sum <= 0) {
        throw new IllegalArgumentException("corpus mix weights are all zero");
      }
      double[] bounds = new double[4];
      double acc = 0;
      for (int i = 0; i < 4; i++) {
        acc += w[i];
        bounds[i] = Math.min(1, acc / sum);
      }
      return new Mix(bounds);
    }

    @Override
    public double[] bounds() {
      return bounds.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Mix m && java.util.Arrays.equals(bounds, m.bounds);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(bounds);
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "weather %.0f%%, facts %.0f%%, arithmetic %.0f%%, word games %.0f%%,"
          + " quizzes %.0f%%", 100 * bounds[0], 100 * (bounds[1] - bounds[0]), 100 * (bounds[2] - bounds[1]),
          100 * (bounds[3] - bounds[2]), 100 * (1 - bounds[3]));
    }
  }

  /**
   * Documents as {@link #documents(long, long)}, with the kinds of paragraph drawn by {@code mix}
   * ({@link Mix#DEFAULT} gives exactly the default corpus).
   */
  public static List<String> documents(long seed, long approxBytes, Mix mix) {
    if (approxBytes <= 0) {
      throw new IllegalArgumentException("synthetic corpus size must be positive, got " + approxBytes + " bytes");
    }
    double[] b = mix.bounds();
    SplitMix64 rng = new SplitMix64(SplitMix64.mix(seed));
    List<String> docs = new ArrayList<>((int) Math.min(1 << 20, approxBytes / 250 + 1));
    long bytes = 0;
    while (bytes < approxBytes) {
      double kind = rng.nextDouble();
      String doc = kind < b[0] ? weather(rng) : kind < b[1] ? facts(rng) : kind < b[2] ? arithmetic(rng)
          : kind < b[3] ? wordGames(rng) : quiz(rng);
      docs.add(doc);
      bytes += doc.length();
    }
    return docs;
  }

  private static String weather(SplitMix64 rng) {
    Town town = rng.pick(TOWNS);
    int day = rng.nextInt(7);
    String today = DAYS.get(day);
    String tomorrow = DAYS.get((day + 1) % 7);
    StringBuilder p = new StringBuilder(400);
    p.append("Weather bulletin for ").append(town.name()).append(", issued on ").append(today)
        .append(' ').append(rng.pick(ISSUED)).append('.');
    if (rng.chance(0.8)) {
      List<Hazard> options = hazards(town.climate());
      Hazard h = rng.pick(options);
      hazardSentences(p, h, town, tomorrow, rng);
      if (rng.chance(0.25)) {
        Hazard second = rng.pick(options);
        if (second != h) {
          p.append(" In addition,");
          hazardSentences(p, second, town, tomorrow, rng);
        }
      }
    } else {
      int[] range = highs(town.climate());
      p.append(" No hazards are expected for ").append(town.name()).append(". The forecast for ")
          .append(tomorrow).append(" is ").append(rng.pick(SKIES)).append(" with a high of ")
          .append(rng.nextInt(range[0], range[1])).append(" degrees.");
    }
    return p.toString();
  }

  private static void hazardSentences(StringBuilder p, Hazard h, Town town, String tomorrow, SplitMix64 rng) {
    int n = rng.nextInt(h.lo(), h.hi());
    String article = h.name().matches("^[aeiou].*") ? "an " : "a ";
    if (p.charAt(p.length() - 1) == ',') {
      p.append(' ').append(article);
    } else {
      p.append(' ').append(article.substring(0, 1).toUpperCase(java.util.Locale.ROOT)).append(article.substring(1));
    }
    p.append(h.name()).append(" will be in effect for ").append(town.name()).append(' ')
        .append(rng.pick(PERIODS)).append(". ")
        .append(h.detail().replace("{day}", tomorrow).replace("{n}", Integer.toString(n))
            .replace("{unit}", n == 1 ? h.unitOne() : h.unitMany()))
        .append(" Residents of ").append(town.name()).append(' ').append(h.advice());
  }

  /** Entries per fact topic; topic 5 is the day (first 7) and month (next 12) successors. */
  private static final int[] TOPIC_SIZES = {
      CAPITALS.length, COLORS.length, SOUNDS.length, LEGS.length, YOUNG.length, DAYS.size() + MONTHS.size()};

  /** 3 to 5 different facts on one topic. */
  private static String facts(SplitMix64 rng) {
    int topic = rng.nextInt(TOPIC_SIZES.length);
    int[] entries = new int[TOPIC_SIZES[topic]];
    for (int i = 0; i < entries.length; i++) {
      entries[i] = i;
    }
    rng.shuffle(entries);                       // the first few are distinct facts
    int sentences = rng.nextInt(3, 5);
    StringBuilder p = new StringBuilder(300);
    for (int i = 0; i < sentences; i++) {
      if (i > 0) {
        p.append(' ');
      }
      int e = entries[i];
      boolean flip = rng.chance(0.5);
      switch (topic) {
        case 0: {
          String[] c = CAPITALS[e];
          p.append(flip ? capitalize(c[1]) + " is the capital of " + c[0] + "."
              : "The capital of " + c[0] + " is " + c[1] + ".");
          break;
        }
        case 1: {
          String[] c = COLORS[e];
          p.append(flip ? "The color of " + c[0] + " is " + c[1] + "." : capitalize(c[0]) + " is " + c[1] + ".");
          break;
        }
        case 2: {
          String[] s = SOUNDS[e];
          p.append(flip ? "The " : article(s[0], true)).append(s[0]).append(' ').append(s[1]).append('.');
          break;
        }
        case 3: {
          String[] l = LEGS[e];
          p.append(article(l[0], true)).append(l[0]).append(" has ").append(l[1]).append(" legs.");
          break;
        }
        case 4: {
          String[] y = YOUNG[e];
          p.append(flip ? "A young " + y[0] + " is called " + article(y[1], false) + y[1] + "."
              : "The young of " + article(y[0], false) + y[0] + " is called " + article(y[1], false) + y[1] + ".");
          break;
        }
        default: {
          boolean months = e >= DAYS.size();
          List<String> list = months ? MONTHS : DAYS;
          int k = months ? e - DAYS.size() : e;
          p.append("The ").append(months ? "month" : "day").append(" after ").append(list.get(k))
              .append(" is ").append(list.get((k + 1) % list.size())).append('.');
          break;
        }
      }
    }
    return p.toString();
  }

  private static String arithmetic(SplitMix64 rng) {
    int sentences = rng.nextInt(3, 6);
    StringBuilder p = new StringBuilder(160);
    for (int i = 0; i < sentences; i++) {
      if (i > 0) {
        p.append(' ');
      }
      int op = rng.nextInt(3);
      if (op == 0) {
        int a = rng.nextInt(100);
        int b = rng.nextInt(100);
        p.append(a).append(" plus ").append(b).append(" is ").append(a + b).append('.');
      } else if (op == 1) {
        int a = rng.nextInt(100);
        int b = rng.nextInt(a + 1);
        p.append(a).append(" minus ").append(b).append(" is ").append(a - b).append('.');
      } else {
        int a = rng.nextInt(13);
        int b = rng.nextInt(13);
        p.append(a).append(" times ").append(b).append(" is ").append(a * b).append('.');
      }
    }
    return p.toString();
  }

  /** 3 to 5 sentences, each one operation on 2 to 4 distinct words. */
  private static String wordGames(SplitMix64 rng) {
    int sentences = rng.nextInt(3, 5);
    StringBuilder p = new StringBuilder(300);
    for (int i = 0; i < sentences; i++) {
      if (i > 0) {
        p.append(' ');
      }
      int n = rng.nextInt(2, 4);
      List<String> w = distinctWords(rng, n);
      String words = String.join(" ", w);
      switch (rng.nextInt(6)) {
        case 0: {
          List<String> r = new ArrayList<>(w);
          java.util.Collections.reverse(r);
          p.append("Reversed, ").append(words).append(" is ").append(String.join(" ", r)).append('.');
          break;
        }
        case 1:
          p.append("In uppercase, ").append(words).append(" is ").append(words.toUpperCase(java.util.Locale.ROOT))
              .append('.');
          break;
        case 2:
          p.append("In lowercase, ").append(words.toUpperCase(java.util.Locale.ROOT)).append(" is ").append(words)
              .append('.');
          break;
        case 3:
          p.append("The first word of ").append(words).append(" is ").append(w.get(0)).append('.');
          break;
        case 4:
          p.append("The last word of ").append(words).append(" is ").append(w.get(n - 1)).append('.');
          break;
        default:
          p.append("There are ").append(n).append(" words in ").append(words).append('.');
          break;
      }
    }
    return p.toString();
  }

  /** 3 to 6 question-answer pairs, lines "Q: question" and "A: answer", no final newline. */
  private static String quiz(SplitMix64 rng) {
    int questions = rng.nextInt(3, 6);
    StringBuilder p = new StringBuilder(300);
    for (int i = 0; i < questions; i++) {
      if (i > 0) {
        p.append('\n');
      }
      String[] qa = quizQuestion(rng);
      p.append("Q: ").append(qa[0]).append("\nA: ").append(qa[1]);
    }
    return p.toString();
  }

  /**
   * One question and its answer. Word games get two phrasings each: the instruction data's
   * ("Write in lowercase: RED DOG") and a plainer one ("What is RED DOG in lowercase?"); capitals
   * two and day or month order three.
   */
  private static String[] quizQuestion(SplitMix64 rng) {
    int kind = rng.nextInt(12);
    boolean alt = rng.chance(0.5);
    if (kind <= 5) {                                   // half of the questions are word games
      List<String> w = distinctWords(rng, rng.nextInt(2, kind == 5 ? 5 : 4));
      String words = String.join(" ", w);
      String upper = words.toUpperCase(java.util.Locale.ROOT);
      switch (kind) {
        case 0: {
          List<String> r = new ArrayList<>(w);
          java.util.Collections.reverse(r);
          return qa(alt ? "What is " + words + " reversed?" : "Reverse the words: " + words, String.join(" ", r));
        }
        case 1: return qa(alt ? "What is " + words + " in uppercase?" : "Write in uppercase: " + words, upper);
        case 2: return qa(alt ? "What is " + upper + " in lowercase?" : "Write in lowercase: " + upper, words);
        case 3: return qa(alt ? "Which word comes first in " + words + "?" : "What is the first word of " + words + "?",
            w.get(0));
        case 4: return qa(alt ? "Which word comes last in " + words + "?" : "What is the last word of " + words + "?",
            w.get(w.size() - 1));
        default: return qa(alt ? "How many words are in " + words + "?" : "Count the words: " + words,
            Integer.toString(w.size()));
      }
    }
    switch (kind) {
      case 6: {
        int op = rng.nextInt(3);
        int a = rng.nextInt(op == 2 ? 13 : 100);
        int b = op == 1 ? rng.nextInt(a + 1) : rng.nextInt(op == 2 ? 13 : 100);
        int v = op == 0 ? a + b : op == 1 ? a - b : a * b;
        return qa("What is " + a + (op == 0 ? " plus " : op == 1 ? " minus " : " times ") + b + "?",
            Integer.toString(v));
      }
      case 7: {
        String[] c = rng.pick(CAPITALS);
        return qa((alt ? "Which city is" : "What is") + " the capital of " + c[0] + "?", c[1]);
      }
      case 8: {
        String[] c = rng.pick(COLORS);
        return qa("What color is " + c[0] + "?", c[1]);
      }
      case 9: {
        String[] l = rng.pick(LEGS);
        return qa("How many legs does " + article(l[0], false) + l[0] + " have?", l[1]);
      }
      case 10: {
        String[] y = rng.pick(YOUNG);
        return qa("What is a young " + y[0] + " called?", article(y[1], false) + y[1]);
      }
      default: {
        boolean months = alt;
        List<String> list = months ? MONTHS : DAYS;
        int k = rng.nextInt(list.size());
        List<String> phrasings = successorQuestions(months ? "month" : "day", list.get(k));
        return qa(phrasings.get(rng.nextInt(phrasings.size())), list.get((k + 1) % list.size()));
      }
    }
  }

  /**
   * The three ways quizzes ask for the day or month after {@code item} ({@code unit} is "day" or
   * "month"); the instruction data asks its held-out next_in_order questions the same ways.
   */
  public static List<String> successorQuestions(String unit, String item) {
    return List.of("What " + unit + " comes after " + item + "?", "Which " + unit + " follows " + item + "?",
        "What is the " + unit + " after " + item + "?");
  }

  private static String[] qa(String question, String answer) {
    return new String[] {question, answer};
  }

  /** {@code n} distinct words of {@link #WORDS}. */
  private static List<String> distinctWords(SplitMix64 rng, int n) {
    List<String> w = new ArrayList<>(n);
    while (w.size() < n) {
      String word = rng.pick(WORDS);
      if (!w.contains(word)) {
        w.add(word);
      }
    }
    return w;
  }

  private static String article(String noun, boolean sentenceStart) {
    String a = "aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ";
    return sentenceStart ? capitalize(a) : a;
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
