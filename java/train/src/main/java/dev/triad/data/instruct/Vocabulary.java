package dev.triad.data.instruct;

import java.util.List;

/**
 * The vocabulary of {@link dev.triad.data.SyntheticCorpus}, copied verbatim (its lists are
 * private; only the word list is public and shared) so that instruction tuning asks about exactly
 * the towns, climates, hazards, units, ranges and facts the model saw in pretraining.
 * {@code VocabularyTest} checks these copies against the corpus text, so a change there fails a
 * test here rather than drifting silently.
 */
final class Vocabulary {
  private Vocabulary() {}

  enum Climate { COASTAL, MOUNTAIN, DESERT, PLAINS, LAKESIDE }

  record Town(String name, Climate climate) {}

  static final List<Town> TOWNS = List.of(
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

  static final List<String> DAYS = dev.triad.data.SyntheticCorpus.DAYS;
  static final List<String> MONTHS = dev.triad.data.SyntheticCorpus.MONTHS;
  static final List<String> ISSUED = List.of("morning", "afternoon", "evening");
  static final List<String> SKIES = List.of("sunny", "partly cloudy", "cloudy", "clear");

  /**
   * A hazard as in the corpus (detail sentence with {@code {day}}, {@code {n}}, {@code {unit}};
   * unit singular and plural; inclusive amount range).
   */
  record Hazard(String name, String detail, String unitOne, String unitMany, int lo, int hi) {}

  static final Hazard FLOOD = new Hazard("flash flood watch",
      "Heavy rain is expected on {day} with {n} {unit} of rain.", "inch", "inches", 1, 4);
  static final Hazard SNOW = new Hazard("winter storm warning",
      "Heavy snow is expected on {day} with {n} {unit} of snow.", "inch", "inches", 6, 24);
  static final Hazard HEAT = new Hazard("heat advisory",
      "Temperatures will reach {n} {unit} on {day}.", "degree", "degrees", 100, 115);
  static final Hazard WIND = new Hazard("wind advisory",
      "Winds will gust up to {n} {unit} per hour on {day}.", "mile", "miles", 40, 60);
  static final Hazard FOG = new Hazard("dense fog advisory",
      "Visibility will drop below {n} {unit} on {day}.", "foot", "feet", 100, 400);
  static final Hazard HURRICANE = new Hazard("hurricane warning",
      "Winds of {n} {unit} per hour are expected on {day}.", "mile", "miles", 75, 130);
  static final Hazard FROST = new Hazard("frost advisory",
      "Temperatures will fall to {n} {unit} on {day}.", "degree", "degrees", 28, 32);
  static final Hazard FIRE = new Hazard("red flag warning",
      "Dry winds and low humidity are expected on {day}, with humidity near {n} {unit}.", "percent", "percent", 5, 15);
  static final Hazard STORM = new Hazard("severe thunderstorm watch",
      "Storms with hail are expected on {day}, with gusts up to {n} {unit} per hour.", "mile", "miles", 50, 70);

  static List<Hazard> hazards(Climate c) {
    switch (c) {
      case COASTAL: return List.of(HURRICANE, FLOOD, FOG, WIND);
      case MOUNTAIN: return List.of(SNOW, WIND, FROST);
      case DESERT: return List.of(HEAT, FIRE, WIND);
      case PLAINS: return List.of(STORM, WIND, HEAT, SNOW);
      default: return List.of(FLOOD, FOG, SNOW, STORM);
    }
  }

  /** Ordinary highs by climate, in degrees, for hazard-free forecasts (inclusive). */
  static int[] highs(Climate c) {
    switch (c) {
      case COASTAL: return new int[] {65, 80};
      case MOUNTAIN: return new int[] {35, 60};
      case DESERT: return new int[] {85, 99};
      case PLAINS: return new int[] {55, 85};
      default: return new int[] {50, 75};
    }
  }

  static final String[][] CAPITALS = {
      {"France", "Paris"}, {"Germany", "Berlin"}, {"Italy", "Rome"}, {"Spain", "Madrid"},
      {"Japan", "Tokyo"}, {"China", "Beijing"}, {"Canada", "Ottawa"}, {"Egypt", "Cairo"},
      {"Russia", "Moscow"}, {"India", "New Delhi"}, {"Brazil", "Brasilia"}, {"Australia", "Canberra"},
      {"Mexico", "Mexico City"}, {"Kenya", "Nairobi"}, {"Greece", "Athens"}, {"Portugal", "Lisbon"},
      {"Norway", "Oslo"}, {"Sweden", "Stockholm"}, {"Poland", "Warsaw"}, {"Ireland", "Dublin"},
      {"Argentina", "Buenos Aires"}, {"Peru", "Lima"}, {"Thailand", "Bangkok"}, {"Turkey", "Ankara"},
      {"Austria", "Vienna"}, {"the Netherlands", "Amsterdam"}, {"Belgium", "Brussels"},
      {"Denmark", "Copenhagen"}, {"Finland", "Helsinki"}, {"Hungary", "Budapest"}, {"Cuba", "Havana"},
      {"Chile", "Santiago"}, {"Vietnam", "Hanoi"}, {"South Korea", "Seoul"}, {"Indonesia", "Jakarta"}};

  static final String[][] COLORS = {
      {"the sky on a clear day", "blue"}, {"fresh grass", "green"}, {"snow", "white"}, {"coal", "black"},
      {"a ripe banana", "yellow"}, {"a ripe tomato", "red"}, {"a lemon", "yellow"}, {"a carrot", "orange"},
      {"milk", "white"}, {"a ripe strawberry", "red"}, {"a lime", "green"}, {"an eggplant", "purple"},
      {"a pumpkin", "orange"}, {"chocolate", "brown"}};

  static final String[][] SOUNDS = {
      {"dog", "barks"}, {"cat", "meows"}, {"cow", "moos"}, {"duck", "quacks"}, {"sheep", "bleats"},
      {"horse", "neighs"}, {"pig", "oinks"}, {"lion", "roars"}, {"owl", "hoots"}, {"snake", "hisses"},
      {"bee", "buzzes"}, {"frog", "croaks"}, {"rooster", "crows"}, {"wolf", "howls"}, {"mouse", "squeaks"},
      {"donkey", "brays"}};

  static final String[][] LEGS = {
      {"spider", "eight"}, {"ant", "six"}, {"beetle", "six"}, {"bee", "six"}, {"dog", "four"},
      {"cat", "four"}, {"horse", "four"}, {"cow", "four"}, {"chicken", "two"}, {"duck", "two"},
      {"ostrich", "two"}, {"crab", "ten"}};

  static final String[][] YOUNG = {
      {"dog", "puppy"}, {"cat", "kitten"}, {"cow", "calf"}, {"sheep", "lamb"}, {"horse", "foal"},
      {"goat", "kid"}, {"pig", "piglet"}, {"duck", "duckling"}, {"bear", "cub"}, {"lion", "cub"},
      {"kangaroo", "joey"}, {"deer", "fawn"}, {"goose", "gosling"}, {"swan", "cygnet"}};

  /** The corpus's word list, for the word-manipulation families. */
  static final List<String> WORDS = dev.triad.data.SyntheticCorpus.WORDS;
}
