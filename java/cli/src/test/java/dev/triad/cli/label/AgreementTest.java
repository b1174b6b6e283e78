package dev.triad.cli.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Raw agreement and Cohen's kappa on examples worked out by hand. */
class AgreementTest {
  @Test
  void kappaOfAHandComputedExample() {
    // 10 shared items. ann: F F F F F S S S T T ; bob: F F F S S S S T T T
    // agree on items 1-3 (F), 6-7 (S), 9-10 (T): observed 7/10.
    // ann: F 5, S 3, T 2; bob: F 3, S 4, T 3 -> expected (5*3 + 3*4 + 2*3) / 100 = 0.33
    // kappa = (0.7 - 0.33) / (1 - 0.33) = 0.37 / 0.67 = 0.552238...
    String[] ann = {"F", "F", "F", "F", "F", "S", "S", "S", "T", "T"};
    String[] bob = {"F", "F", "F", "S", "S", "S", "S", "T", "T", "T"};
    Map<String, String> a = new java.util.HashMap<>(), b = new java.util.HashMap<>();
    for (int i = 0; i < ann.length; i++) {
      a.put("item" + i, ann[i]);
      b.put("item" + i, bob[i]);
    }
    a.put("only-ann", "F"); // not shared: not counted
    List<Agreement.Pair> pairs = Agreement.of(Map.of("bob", b, "ann", a, "cat", Map.of("other", "T")));
    assertEquals(1, pairs.size(), "cat shares no item with anyone: " + pairs);
    Agreement.Pair p = pairs.get(0);
    assertEquals("ann", p.first());
    assertEquals("bob", p.second());
    assertEquals(10, p.items());
    assertEquals(0.7, p.agreement(), 1e-12);
    assertEquals(0.37 / 0.67, p.kappa(), 1e-12);
  }

  @Test
  void perfectAgreementIsKappaOneAndOneVerdictForAllIsUndefined() {
    Agreement.Pair perfect = Agreement.between("a", "b", Map.of("1", "F", "2", "S"), Map.of("1", "F", "2", "S"));
    assertEquals(1.0, perfect.kappa(), 1e-12);
    Agreement.Pair same = Agreement.between("a", "b", Map.of("1", "F", "2", "F"), Map.of("1", "F", "2", "F"));
    assertEquals(1.0, same.agreement());
    assertTrue(Double.isNaN(same.kappa()), "chance agreement 1: kappa undefined");
    // opposite on every item, each using both verdicts equally: kappa -1
    Agreement.Pair opposite = Agreement.between("a", "b", Map.of("1", "F", "2", "S"), Map.of("1", "S", "2", "F"));
    assertEquals(-1.0, opposite.kappa(), 1e-12);
  }
}
