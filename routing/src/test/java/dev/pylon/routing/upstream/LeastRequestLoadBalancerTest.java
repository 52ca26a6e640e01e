package dev.pylon.routing.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LeastRequestLoadBalancerTest {

  private static final Endpoint A = Endpoint.of("10.0.0.1", 80);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 80);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 80);

  /** A context whose random draws are scripted. */
  private static TestLbContext scripted(long... draws) {
    Deque<Long> queue = new ArrayDeque<>();
    for (long d : draws) {
      queue.add(d);
    }
    return new TestLbContext(bound -> {
      Long d = queue.poll();
      if (d == null) {
        throw new AssertionError("more random draws than scripted");
      }
      assertThat(d).isLessThan(bound);
      return d;
    });
  }

  static Stream<Arguments> twoChoices() {
    // A has 5 requests in flight, B none, C 5; draws pick indices -> chosen endpoint
    return Stream.of(
        Arguments.of(new long[] {0, 1}, B),
        Arguments.of(new long[] {1, 0}, B),
        Arguments.of(new long[] {0, 0}, A),
        // a tie keeps the first draw
        Arguments.of(new long[] {0, 2}, A),
        Arguments.of(new long[] {2, 0}, C));
  }

  @ParameterizedTest(name = "draws {0} -> {1}")
  @MethodSource
  void twoChoices(long[] draws, Endpoint expected) {
    LoadBalancer lb = new LeastRequestLoadBalancer(List.of(A, B, C), 2, 50);
    TestLbContext ctx = scripted(draws);
    ctx.active.put(A, 5);
    ctx.active.put(C, 5);
    assertThat(lb.choose(ctx)).isEqualTo(expected);
  }

  @Test
  void choiceCount_isTheNumberOfDraws() {
    LoadBalancer lb = new LeastRequestLoadBalancer(List.of(A, B, C), 3, 50);
    TestLbContext ctx = scripted(0, 0, 1);
    ctx.active.put(A, 1);
    assertThat(lb.choose(ctx)).isEqualTo(B);
  }

  @Test
  void powerOfTwo_prefersTheIdleEndpoint_asTheMathPredicts() {
    LoadBalancer lb = new LeastRequestLoadBalancer(List.of(A, B, C), 2, 50);
    TestLbContext ctx = TestLbContext.seeded(21);
    ctx.active.put(B, 10);
    ctx.active.put(C, 10);
    Map<Endpoint, Integer> counts = LoadBalancersTest.picks(lb, ctx, 90_000);
    // A loses only when both draws miss it: 1 - (2/3)^2 = 5/9
    assertThat(counts.get(A) / 90_000.0).isBetween(0.545, 0.566);
  }

  @Test
  void excludedEndpoints_areNotDrawn() {
    LoadBalancer lb = new LeastRequestLoadBalancer(List.of(A, B, C), 2, 0);
    TestLbContext ctx = TestLbContext.seeded(4).exclude(B);
    ctx.active.put(A, 100);
    ctx.active.put(C, 100);
    assertThat(LoadBalancersTest.picks(lb, ctx, 1000)).containsOnlyKeys(A, C);
  }

  @Test
  void unequalWeights_shareByWeightOverActiveRequestsPlusOne() {
    Endpoint heavy = new Endpoint("10.0.0.1", 80, 2);
    Endpoint light = new Endpoint("10.0.0.2", 80, 1);
    LoadBalancer lb = new LeastRequestLoadBalancer(List.of(heavy, light), 2, 50);
    TestLbContext ctx = TestLbContext.seeded(8);
    ctx.active.put(heavy, 3);
    Map<Endpoint, Integer> counts = LoadBalancersTest.picks(lb, ctx, 60_000);
    // dynamic weights 2/(3+1) = 0.5 and 1/(0+1) = 1: the light endpoint gets two thirds
    assertThat(counts.get(light) / 60_000.0).isBetween(0.655, 0.678);
    ctx.active.clear();
    counts = LoadBalancersTest.picks(lb, ctx, 60_000);
    assertThat(counts.get(heavy) / 60_000.0).isBetween(0.655, 0.678);
  }
}
