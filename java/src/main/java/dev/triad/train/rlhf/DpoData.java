package dev.triad.train.rlhf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triad.data.chat.ChatTemplate;
import dev.triad.data.chat.Message;
import dev.triad.data.instruct.Example;
import dev.triad.data.instruct.InstructionData;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Preference pairs for {@link Dpo} until the preference-data layer lands: a small built-in set made
 * from the embedded instruction data, and a minimal JSONL reader of
 * {@code {"prompt": str, "chosen": str, "rejected": str}} lines (optionally {@code "system": str}).
 */
public final class DpoData {
  private DpoData() {}

  /** Training and held-out pairs. */
  public record Pairs(List<Triple> train, List<Triple> heldOut) {}

  /** The rejected reply of the built-in pairs: the right answer, buried in hedging. */
  public static String verbose(String answer) {
    return "Well, I think the answer might be " + answer + ", but I am not sure at all.";
  }

  /**
   * Built-in pairs from the embedded instruction data (trained families): the chosen reply is the
   * exact answer, the rejected one {@link #verbose} of it. Held-out pairs come from the validation
   * prompts (disjoint from the training prompts), spread over the families.
   */
  public static Pairs builtin(ChatTemplate template, long seed, int trainPairs, int heldOutPairs) {
    if (trainPairs < 1 || heldOutPairs < 0) {
      throw new IllegalArgumentException("built-in pairs: need >= 1 training and >= 0 held-out pairs, got "
          + trainPairs + " and " + heldOutPairs);
    }
    int families = InstructionData.trainedFamilies().size();
    InstructionData.Split split = InstructionData.split(seed, ceilDiv(trainPairs, families),
        ceilDiv(heldOutPairs, families), 0);
    List<Triple> train = new ArrayList<>();
    for (Example e : split.train().subList(0, trainPairs)) {
      train.add(pair(template, e));
    }
    List<Triple> heldOut = new ArrayList<>();
    List<Example> val = split.validation(); // grouped by family: take evenly spaced ones
    for (int i = 0; i < heldOutPairs; i++) {
      heldOut.add(pair(template, val.get((int) ((long) i * val.size() / heldOutPairs))));
    }
    return new Pairs(List.copyOf(train), List.copyOf(heldOut));
  }

  private static Triple pair(ChatTemplate template, Example e) {
    return Triple.of(template, List.of(new Message(Message.USER, e.prompt())), e.answer(), verbose(e.answer()));
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /**
   * Pairs from a JSONL file, one {@code {"prompt", "chosen", "rejected"}} object per non-blank line
   * ({@code "system"} optional; other fields are ignored). Every 20th pair is held out when there
   * are at least 20.
   *
   * @throws IllegalArgumentException naming {@code file:line} and the field of a malformed line
   */
  public static Pairs readJsonl(Path file, ChatTemplate template) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Triple> all = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (line.isBlank()) {
          continue;
        }
        String where = file + ":" + lineNo + ": ";
        JsonNode node;
        try {
          node = json.readTree(line);
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException(where + "invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
          throw new IllegalArgumentException(where + "expected a JSON object {\"prompt\", \"chosen\", \"rejected\"}");
        }
        String prompt = text(node, "prompt", where, true);
        String chosen = text(node, "chosen", where, true);
        String rejected = text(node, "rejected", where, true);
        String system = text(node, "system", where, false);
        List<Message> history = new ArrayList<>();
        if (system != null) {
          history.add(new Message(Message.SYSTEM, system));
        }
        history.add(new Message(Message.USER, prompt));
        try {
          all.add(Triple.of(template, history, chosen, rejected));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + e.getMessage(), e);
        }
      }
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException(file + ": not valid UTF-8 text", e);
    }
    if (all.isEmpty()) {
      throw new IllegalArgumentException(file + ": no pairs: expected one JSON object per line,"
          + " {\"prompt\": ..., \"chosen\": ..., \"rejected\": ...}");
    }
    List<Triple> train = new ArrayList<>(), heldOut = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      (all.size() >= 20 && i % 20 == 19 ? heldOut : train).add(all.get(i));
    }
    return new Pairs(train, heldOut);
  }

  private static String text(JsonNode node, String field, String where, boolean required) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new IllegalArgumentException(where + "field \"" + field + "\" is missing");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" must be a string, found "
          + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    }
    if (v.asText().isBlank()) {
      throw new IllegalArgumentException(where + "field \"" + field + "\" is empty");
    }
    return v.asText();
  }
}
