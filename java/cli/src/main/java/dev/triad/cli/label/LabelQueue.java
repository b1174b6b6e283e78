package dev.triad.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.triad.io.Json;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * The items to judge and every judgement made, kept durably in two {@link LabelStore}s (pairs, and
 * ties / both-bad: see {@link LabelFiles}). Every annotator judges every item, in the same order,
 * so items overlap between annotators and their {@link #agreement} can be measured.
 *
 * <p>A judgement is keyed by (item, annotator): submitting again for a pair already judged (a second
 * browser tab, a retried request) is acknowledged as a duplicate and writes nothing, so two tabs
 * never duplicate a record; each tab gets the first item its annotator has not judged, so none is
 * lost either. {@link #undo} removes the annotator's latest judgement from its file, which is
 * rewritten atomically: the pairs file only ever holds pairs someone still stands by. All methods
 * are serialized: a judgement is on disk before the next one is considered.
 */
public final class LabelQueue implements Closeable {
  /** The aspects a judgement may name as what it is about. */
  public static final List<String> ASPECTS = List.of("correct", "concise", "harmless");
  /** The grades of a preference ("A better" or "B better"). */
  public static final Set<String> GRADES = Set.of("better", "much_better");
  /** The longest annotator name and note, in characters. */
  static final int MAX_NAME = 64, MAX_NOTE = 4000;

  /** A judgement in the item's own terms (replies as sampled, whichever side each annotator saw them on). */
  public enum Verdict { FIRST, SECOND, TIE, BOTH_BAD }

  /** What an annotator sent: the item, their choice as shown, and the optional grade, aspects and note. */
  public record Submission(String item, String annotator, Choice choice, String grade, Map<String, Boolean> aspects,
      String note) {}

  /** An item as one annotator sees it: reply {@code a} on the left, {@code b} on the right. */
  public record Shown(LabelItem item, String a, String b) {}

  /** A judgement held in a store. */
  private record Label(String item, String annotator, Instant time, Verdict verdict, LabelStore store,
      ObjectNode record) {}

  private final List<LabelItem> items;
  private final Map<String, LabelItem> byId = new HashMap<>();
  private final LabelStore pairs, skipped;
  private final Clock clock;
  /** annotator -> item id -> their judgement. */
  private final Map<String, Map<String, Label>> judged = new HashMap<>();
  /** annotator -> their judgements, oldest first (what undo takes back). */
  private final Map<String, Deque<Label>> history = new HashMap<>();
  private final List<String> notes = new ArrayList<>();

  private LabelQueue(List<LabelItem> items, LabelStore pairs, LabelStore skipped, Clock clock) {
    this.items = List.copyOf(items);
    this.pairs = pairs;
    this.skipped = skipped;
    this.clock = clock;
    for (LabelItem item : items) {
      if (byId.putIfAbsent(item.id(), item) != null) {
        throw new IllegalArgumentException("item " + item.id() + " appears twice");
      }
    }
  }

  /** The queue of {@code items}, with the judgements already in {@code files} read back. */
  public static LabelQueue open(List<LabelItem> items, LabelFiles files) throws IOException {
    return open(items, files, Clock.systemUTC());
  }

  static LabelQueue open(List<LabelItem> items, LabelFiles files, Clock clock) throws IOException {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("nothing to label: no items");
    }
    LabelStore pairs = LabelStore.open(files.pairs());
    LabelStore skipped;
    try {
      skipped = LabelStore.open(files.skipped());
    } catch (IOException | RuntimeException e) {
      pairs.close();
      throw e;
    }
    LabelQueue q = new LabelQueue(items, pairs, skipped, clock);
    q.readBack();
    return q;
  }

  /** Rebuilds the in-memory judgements from both files, oldest first. */
  private void readBack() {
    List<Label> loaded = new ArrayList<>();
    int foreign = 0;
    for (LabelStore store : List.of(pairs, skipped)) {
      if (store.repairNote() != null) {
        notes.add(store.repairNote());
      }
      for (ObjectNode r : store.records()) {
        Label l = labelOf(store, r);
        if (l == null) {
          foreign++;
        } else {
          loaded.add(l);
        }
      }
    }
    loaded.sort(Comparator.comparing(Label::time));
    for (Label l : loaded) {
      Label earlier = judged.computeIfAbsent(l.annotator(), a -> new HashMap<>()).put(l.item(), l);
      if (earlier != null) {
        history.get(l.annotator()).remove(earlier); // a file merged by hand: the latest judgement counts
      }
      history.computeIfAbsent(l.annotator(), a -> new ArrayDeque<>()).addLast(l);
    }
    if (foreign > 0) {
      notes.add(foreign + " record(s) in " + pairs.file() + " / " + skipped.file() + " are not about the current items:"
          + " kept in the files, not counted here");
    }
  }

  /** The judgement a stored record holds, or null when it is not one about a current item. */
  private Label labelOf(LabelStore store, ObjectNode r) {
    LabelItem item = byId.get(r.path("item").asText());
    String annotator = r.path("annotator").asText("");
    if (item == null || annotator.isBlank()) {
      return null;
    }
    Instant time;
    Choice choice;
    try {
      time = Instant.parse(r.path("time").asText());
      choice = Choice.parse(r.path("choice").asText());
    } catch (DateTimeParseException | IllegalArgumentException e) {
      return null;
    }
    Verdict v;
    if (choice == Choice.TIE) {
      v = Verdict.TIE;
    } else if (choice == Choice.BOTH_BAD) {
      v = Verdict.BOTH_BAD;
    } else if (item.first().equals(r.path("chosen").asText(null))) {
      v = Verdict.FIRST;
    } else if (item.second().equals(r.path("chosen").asText(null))) {
      v = Verdict.SECOND;
    } else {
      return null;
    }
    return new Label(item.id(), annotator, time, v, store, r);
  }

  /** What was repaired or set aside while reading the files back (for the command to print). */
  public List<String> notes() {
    return List.copyOf(notes);
  }

  public int total() {
    return items.size();
  }

  /** How many items {@code annotator} has judged. */
  public synchronized int judgedBy(String annotator) {
    return judged.getOrDefault(checkName(annotator), Map.of()).size();
  }

  /** Whether {@code annotator} has a judgement to undo. */
  public synchronized boolean canUndo(String annotator) {
    Deque<Label> h = history.get(checkName(annotator));
    return h != null && !h.isEmpty();
  }

  /** The first item {@code annotator} has not judged, as they see it; null when they have judged all. */
  public synchronized Shown next(String annotator) {
    String name = checkName(annotator);
    Map<String, Label> mine = judged.getOrDefault(name, Map.of());
    for (LabelItem item : items) {
      if (!mine.containsKey(item.id())) {
        return swapped(item.id(), name) ? new Shown(item, item.second(), item.first())
            : new Shown(item, item.first(), item.second());
      }
    }
    return null;
  }

  /**
   * Whether {@code annotator} sees the item's second reply on the left: a coin flip per item and
   * annotator that needs no state (the same on every reload, in every tab), so no side is favoured.
   */
  static boolean swapped(String item, String annotator) {
    CRC32 crc = new CRC32();
    crc.update((item + "\0" + annotator).getBytes(StandardCharsets.UTF_8));
    return (crc.getValue() & 1) == 1;
  }

  /** Whether a submission was recorded now or had been already. */
  public record Outcome(boolean duplicate, ObjectNode record) {}

  /**
   * Records {@code s} durably (on disk when this returns), or acknowledges it as a duplicate when its
   * annotator has already judged the item.
   *
   * @throws IllegalArgumentException for an unknown item, a missing or too long name or note, an
   *     unknown aspect, or a grade on a tie or both-bad
   */
  public synchronized Outcome submit(Submission s) throws IOException {
    String annotator = checkName(s.annotator());
    LabelItem item = byId.get(s.item());
    if (item == null) {
      throw new IllegalArgumentException("unknown item \"" + s.item() + "\"");
    }
    if (s.choice() == null) {
      throw new IllegalArgumentException("choice is missing");
    }
    if (s.grade() != null && !s.choice().prefersOne()) {
      throw new IllegalArgumentException("a grade goes with A or B, not with " + s.choice().wire);
    }
    if (s.grade() != null && !GRADES.contains(s.grade())) {
      throw new IllegalArgumentException("grade \"" + s.grade() + "\" is unknown; expected better or much_better");
    }
    Map<String, Boolean> aspects = s.aspects() == null ? Map.of() : s.aspects();
    for (String a : aspects.keySet()) {
      if (!ASPECTS.contains(a)) {
        throw new IllegalArgumentException("aspect \"" + a + "\" is unknown; expected " + String.join(", ", ASPECTS));
      }
    }
    if (s.note() != null && s.note().length() > MAX_NOTE) {
      throw new IllegalArgumentException("the note is longer than " + MAX_NOTE + " characters");
    }
    Label existing = judged.getOrDefault(annotator, Map.of()).get(item.id());
    if (existing != null) {
      return new Outcome(true, existing.record());
    }
    boolean swapped = swapped(item.id(), annotator);
    String a = swapped ? item.second() : item.first(), b = swapped ? item.first() : item.second();
    Instant time = clock.instant();
    ObjectNode r = Json.MAPPER.createObjectNode();
    r.put("prompt", item.prompt());
    Verdict verdict;
    LabelStore store;
    if (s.choice().prefersOne()) {
      boolean chooseA = s.choice() == Choice.A;
      r.put("chosen", chooseA ? a : b).put("rejected", chooseA ? b : a);
      verdict = (chooseA != swapped) ? Verdict.FIRST : Verdict.SECOND;
      store = pairs;
    } else {
      r.put("a", a).put("b", b);
      verdict = s.choice() == Choice.TIE ? Verdict.TIE : Verdict.BOTH_BAD;
      store = skipped;
    }
    r.put("item", item.id()).put("choice", s.choice().wire);
    if (s.grade() != null) {
      r.put("grade", s.grade());
    }
    ObjectNode aspectNode = r.putObject("aspects");
    for (String name : ASPECTS) {
      aspectNode.put(name, Boolean.TRUE.equals(aspects.get(name)));
    }
    if (s.note() != null && !s.note().isBlank()) {
      r.put("note", s.note().strip());
    }
    r.put("annotator", annotator).put("time", time.toString());
    store.append(r); // on disk before anything here changes, and before the caller acknowledges
    Label l = new Label(item.id(), annotator, time, verdict, store, r);
    judged.computeIfAbsent(annotator, k -> new HashMap<>()).put(item.id(), l);
    history.computeIfAbsent(annotator, k -> new ArrayDeque<>()).addLast(l);
    return new Outcome(false, r);
  }

  /** Takes back {@code annotator}'s latest judgement; returns its item id, or null when there was none. */
  public synchronized String undo(String annotator) throws IOException {
    String name = checkName(annotator);
    Deque<Label> h = history.get(name);
    if (h == null || h.isEmpty()) {
      return null;
    }
    Label last = h.peekLast();
    last.store().remove(last.record()); // off the disk first: a failed rewrite leaves both as they were
    h.removeLast();
    judged.get(name).remove(last.item());
    return last.item();
  }

  /** Agreement between every two annotators on the items both judged (Cohen's kappa and raw). */
  public synchronized List<Agreement.Pair> agreement() {
    Map<String, Map<String, Verdict>> verdicts = new LinkedHashMap<>();
    judged.forEach((annotator, labels) -> {
      Map<String, Verdict> v = new HashMap<>();
      labels.forEach((item, label) -> v.put(item, label.verdict()));
      verdicts.put(annotator, v);
    });
    return Agreement.of(verdicts);
  }

  /** The record {@code annotator} holds for {@code item}, or null (for tests and the page). */
  synchronized JsonNode recordOf(String item, String annotator) {
    Label l = judged.getOrDefault(checkName(annotator), Map.of()).get(item);
    return l == null ? null : l.record();
  }

  @Override
  public void close() {
    try {
      pairs.close();
    } finally {
      skipped.close();
    }
  }

  /** The annotator's name, checked (non-blank, one line, at most {@link #MAX_NAME} characters) and stripped. */
  static String checkName(String annotator) {
    if (annotator == null || annotator.isBlank()) {
      throw new IllegalArgumentException("annotator is missing: each annotator names themself");
    }
    if (annotator.length() > MAX_NAME || annotator.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("annotator name must be one line of at most " + MAX_NAME + " characters");
    }
    return annotator.strip();
  }
}
