package dev.triad.train.audit;

import dev.triad.data.chat.Conversation;
import dev.triad.data.chat.Message;
import dev.triad.data.instruct.Example;
import dev.triad.data.pref.PreferencePair;
import java.util.ArrayList;
import java.util.List;

/**
 * One item of a phase's data as the audit compares it: the prompt (the conversation before the
 * reply, its messages' text joined by newlines), the reply (the SFT target, the chosen reply, an
 * evaluation answer; null for a bare prompt) and the task family when the data has one (null otherwise).
 */
public record Sample(String family, String prompt, String reply) {
  public Sample {
    if (prompt == null) {
      throw new IllegalArgumentException("sample: prompt is null");
    }
  }

  /** An embedded example with its expected answer. */
  public static Sample of(Example e) {
    return new Sample(e.family(), e.prompt(), e.answer());
  }

  /** An embedded example whose reply is {@code reply} (e.g. a styled SFT target). */
  public static Sample of(Example e, String reply) {
    return new Sample(e.family(), e.prompt(), reply);
  }

  /** A preference pair's prompt with its chosen reply. */
  public static Sample chosen(PreferencePair p) {
    return new Sample(null, promptText(p.prompt()), p.chosen());
  }

  /** One sample per assistant turn of {@code c}: the history before it and the turn's text. */
  public static List<Sample> of(Conversation c) {
    List<Sample> out = new ArrayList<>();
    List<Message> m = c.messages();
    for (int i = 0; i < m.size(); i++) {
      if (m.get(i).isAssistant()) {
        out.add(new Sample(null, promptText(m.subList(0, i)), m.get(i).content()));
      }
    }
    return out;
  }

  /** The text of a prompt history: its messages' content joined by newlines (roles left out). */
  public static String promptText(List<Message> history) {
    StringBuilder sb = new StringBuilder();
    for (Message x : history) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(x.content());
    }
    return sb.toString();
  }
}
