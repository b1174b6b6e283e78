package dev.triad;

import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A setting refused by name: {@link #option()} is the name it has in the Java API (a builder's
 * setter, e.g. {@code seqLen}), and the message starts with it ("seqLen 2048 exceeds the model's
 * context of 1024"). Other options the message mentions are written {@code {name}} in the detail
 * ("...; continue that run with {resume}"), so that a front end that spells options differently
 * (the CLI: {@code --seq}, {@code --resume}) renders the whole message in its own terms with
 * {@link #message(UnaryOperator)}; {@link #getMessage()} uses the API's names.
 */
public class InvalidOptionException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private static final Pattern MENTION = Pattern.compile("\\{([A-Za-z][A-Za-z0-9]*)\\}");
  private final String option;
  private final String detail;

  /** {@code detail} follows the option's name: " 0: must be >= 1", ": no checkpoint in runs/x". */
  public InvalidOptionException(String option, String detail) {
    super(render(option, detail, UnaryOperator.identity()));
    this.option = option;
    this.detail = detail;
  }

  /** The option's name in the Java API. */
  public String option() {
    return option;
  }

  /** The message with every option name spelled by {@code spell} (API name -> a front end's). */
  public String message(UnaryOperator<String> spell) {
    return render(option, detail, spell);
  }

  private static String render(String option, String detail, UnaryOperator<String> spell) {
    Matcher m = MENTION.matcher(detail);
    StringBuilder out = new StringBuilder(spell.apply(option));
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(spell.apply(m.group(1))));
    }
    return m.appendTail(out).toString();
  }
}
