package dev.triad.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.triad.testing.MpiRun;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ZeRO-1 across real processes ({@link ShardedAdamWMain} as 2 and 3 Open MPI ranks): three clipped
 * steps on fresh random gradients equal one AdamW's on their mean, the state gathered on rank 0
 * equals that AdamW's, and each rank holds about 1/size of the optimizer state: the ranks' state
 * adds up to exactly the whole (8 bytes per parameter: two f32 moments), no rank holds more than
 * the whole/size plus one tensor, and the live bytes each rank's optimizer allocated are its state.
 */
class ShardedAdamWTest {
  private static final Pattern LINE = Pattern.compile(
      "rank (\\d+) of \\d+: ok; state (\\d+) bytes, held (\\d+) bytes, parameters (\\d+), segment (\\d+)");

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void matchesOneAdamWOnTheMeanGradientAndShardsTheState(int ranks) throws Exception {
    MpiRun.Result r = MpiRun.run(MpiRun.command(ranks, ShardedAdamWMain.class.getName(), List.of(), List.of()),
        null, 180, null);
    assertEquals(0, r.exitCode(), r.output());
    Matcher m = LINE.matcher(r.output());
    long stateSum = 0, params = 0, largestTensor = 0;
    int seen = 0;
    long[] state = new long[ranks];
    while (m.find()) {
      int rank = Integer.parseInt(m.group(1));
      state[rank] = Long.parseLong(m.group(2));
      assertEquals(state[rank], Long.parseLong(m.group(3)), "live bytes the optimizer allocated on rank " + rank);
      params = Long.parseLong(m.group(4));
      stateSum += state[rank];
      seen++;
    }
    assertEquals(ranks, seen, r.output());
    assertEquals(8 * params, stateSum, "two f32 moments per parameter, over all ranks");
    // tiny GPT (vocab 64): its largest tensor is a block's MLP weight, 4C x C = 512 x 128
    largestTensor = 512 * 128;
    for (int rank = 0; rank < ranks; rank++) {
      assertTrue(state[rank] <= 8 * (params / ranks + largestTensor), "rank " + rank + " holds " + state[rank]
          + " bytes of " + 8 * params);
    }
    System.out.println("ZeRO-1 state per rank (" + ranks + " ranks): " + java.util.Arrays.toString(state)
        + " bytes; unsharded " + 8 * params);
  }
}
