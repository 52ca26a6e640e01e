package dev.pylon.routing.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Rules every load-balancing policy follows: emptiness, exclusion, panic mode. */
class LoadBalancersTest {

  static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.of("10.0.0." + (i + 1), 8080));
    }
    return list;
  }

  static LoadBalancer lb(LbPolicy policy, List<Endpoint> endpoints, int panicThreshold) {
    ClusterSettings s = new ClusterSettings(Duration.ofSeconds(1), policy, LbConfig.DEFAULT,
        CircuitBreakers.ENVOY_DEFAULT, HttpProtocolSettings.DEFAULT, null, panicThreshold);
    return new Cluster("c", s, endpoints).loadBalancer();
  }

  /** Picks {@code n} times, with a fresh hash per pick for the hashing policies. */
  static Map<Endpoint, Integer> picks(LoadBalancer lb, TestLbContext ctx, int n) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      ctx.hash(ctx.random.nextLong(Long.MAX_VALUE) * 2 + ctx.random.nextLong(2));
      counts.merge(lb.choose(ctx), 1, Integer::sum);
    }
    return counts;
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void noEndpoints_choosesNull(LbPolicy policy) {
    assertThat(lb(policy, List.of(), 50).choose(TestLbContext.seeded(1))).isNull();
    assertThat(lb(policy, List.of(), 50).choose()).isNull();
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void oneEndpoint_isAlwaysChosen_evenExcluded(LbPolicy policy) {
    Endpoint only = Endpoint.of("10.0.0.1", 80);
    LoadBalancer lb = lb(policy, List.of(only), 50);
    assertThat(lb.choose()).isEqualTo(only);
    assertThat(lb.choose(TestLbContext.seeded(1).exclude(only))).isEqualTo(only);
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void excludedEndpoints_areNeverChosen_aboveThePanicThreshold(LbPolicy policy) {
    List<Endpoint> e = endpoints(10);
    LoadBalancer lb = lb(policy, e, 50);
    TestLbContext ctx = TestLbContext.seeded(7).exclude(e.get(2), e.get(7));
    Map<Endpoint, Integer> counts = picks(lb, ctx, 5000);
    assertThat(counts).doesNotContainKeys(e.get(2), e.get(7));
    assertThat(counts).hasSize(8);
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void belowThePanicThreshold_exclusionIsIgnored(LbPolicy policy) {
    List<Endpoint> e = endpoints(10);
    LoadBalancer lb = lb(policy, e, 50);
    // 4 of 10 healthy: 40% < 50% -> panic, every endpoint takes traffic
    TestLbContext ctx = TestLbContext.seeded(7).exclude(e.subList(0, 6).toArray(new Endpoint[0]));
    Map<Endpoint, Integer> counts = picks(lb, ctx, 5000);
    assertThat(counts).hasSize(10);
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void panicThresholdZero_neverPanics_butStillAnswersWhenAllAreExcluded(LbPolicy policy) {
    List<Endpoint> e = endpoints(4);
    LoadBalancer lb = lb(policy, e, 0);
    TestLbContext oneLeft = TestLbContext.seeded(3).exclude(e.get(0), e.get(1), e.get(2));
    assertThat(picks(lb, oneLeft, 200)).containsOnlyKeys(e.get(3));

    TestLbContext none = TestLbContext.seeded(3).exclude(e.toArray(new Endpoint[0]));
    Endpoint chosen = lb.choose(none);
    assertThat(chosen).isIn(e);
    assertThat(none.isExcluded(chosen)).as("caller can tell the choice is excluded").isTrue();
  }

  static Stream<Arguments> panicRule() {
    // healthy, total, threshold -> panic (Envoy: 140*healthy/total capped at 100 keeps a priority out of panic)
    return Stream.of(
        Arguments.of(5, 10, 50, false),
        Arguments.of(4, 10, 50, true),
        Arguments.of(1, 2, 50, false),
        Arguments.of(0, 10, 50, true),
        Arguments.of(0, 10, 0, false),
        Arguments.of(9, 10, 100, false),
        Arguments.of(7, 10, 80, true),
        Arguments.of(8, 10, 90, false),
        // 5/7 = 71.4% healthy, but 140*5/7 = 100: availability is full, no panic whatever the threshold
        Arguments.of(5, 7, 72, false),
        Arguments.of(4, 6, 70, true),
        Arguments.of(10, 10, 100, false));
  }

  @ParameterizedTest(name = "{0}/{1} healthy, threshold {2}% -> panic {3}")
  @MethodSource
  void panicRule(int healthy, int total, int threshold, boolean panic) {
    assertThat(BaseLoadBalancer.inPanic(healthy, total, threshold)).isEqualTo(panic);
  }

  @Test
  void overProvisioningFactor_keepsEightyPercentHealthyOutOfPanic_evenWithThreshold90() {
    List<Endpoint> e = endpoints(10);
    LoadBalancer lb = lb(LbPolicy.ROUND_ROBIN, e, 90);
    TestLbContext ctx = TestLbContext.seeded(1).exclude(e.get(0), e.get(1));
    assertThat(picks(lb, ctx, 100)).hasSize(8);
  }

  @Test
  void noExclusionHint_skipsTheChecks() {
    List<Endpoint> e = endpoints(3);
    TestLbContext ctx = new TestLbContext(b -> 0) {
      @Override
      public boolean isExcluded(Endpoint endpoint) {
        throw new AssertionError("consulted although mayExclude() is false");
      }

      @Override
      public boolean mayExclude() {
        return false;
      }
    };
    for (LbPolicy p : LbPolicy.values()) {
      assertThat(lb(p, e, 50).choose(ctx)).isIn(e);
    }
  }

  @Test
  void everyPolicy_isBuiltByTheCluster() {
    Map<LbPolicy, Class<?>> expected = new EnumMap<>(LbPolicy.class);
    expected.put(LbPolicy.ROUND_ROBIN, RoundRobinLoadBalancer.class);
    expected.put(LbPolicy.LEAST_REQUEST, LeastRequestLoadBalancer.class);
    expected.put(LbPolicy.RANDOM, RandomLoadBalancer.class);
    expected.put(LbPolicy.RING_HASH, RingHashLoadBalancer.class);
    expected.put(LbPolicy.MAGLEV, MaglevLoadBalancer.class);
    expected.forEach((policy, type) -> assertThat(lb(policy, endpoints(2), 50)).isInstanceOf(type));
  }

  @Test
  void invalidHashConfig_namesTheClusterAndField() {
    ClusterSettings maglev = new ClusterSettings(Duration.ofSeconds(1), LbPolicy.MAGLEV,
        new LbConfig(2, 1024, 8388608, 65536), CircuitBreakers.ENVOY_DEFAULT, HttpProtocolSettings.DEFAULT, null, 50);
    assertThatThrownBy(() -> new Cluster("outbound|80||a.svc", maglev, endpoints(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outbound|80||a.svc").hasMessageContaining("table_size 65536");
    ClusterSettings ring = new ClusterSettings(Duration.ofSeconds(1), LbPolicy.RING_HASH,
        new LbConfig(2, 2048, 1024, 65537), CircuitBreakers.ENVOY_DEFAULT, HttpProtocolSettings.DEFAULT, null, 50);
    assertThatThrownBy(() -> new Cluster("c1", ring, endpoints(2)))
        .hasMessageContaining("c1").hasMessageContaining("minimum_ring_size (2048) > maximum_ring_size (1024)");
  }

  @Test
  void roundRobin_cyclesOverTheEndpointsLeft() {
    List<Endpoint> e = endpoints(4);
    LoadBalancer lb = lb(LbPolicy.ROUND_ROBIN, e, 50);
    TestLbContext ctx = TestLbContext.seeded(1).exclude(e.get(1));
    List<Endpoint> seq = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      seq.add(lb.choose(ctx));
    }
    assertThat(seq).containsExactly(e.get(0), e.get(2), e.get(3), e.get(0), e.get(2), e.get(3));
  }

  @Test
  void roundRobin_weighted_skipsExcludedSlots() {
    Endpoint a = new Endpoint("a", 80, 3);
    Endpoint b = new Endpoint("b", 80, 1);
    Endpoint c = new Endpoint("c", 80, 2);
    LoadBalancer lb = lb(LbPolicy.ROUND_ROBIN, List.of(a, b, c), 50);
    Map<Endpoint, Integer> counts = picks(lb, TestLbContext.seeded(1).exclude(b), 600);
    assertThat(counts).containsOnlyKeys(a, c);
  }

  @Test
  void roundRobin_isExactlyFairUnderConcurrentPicks() throws Exception {
    List<Endpoint> e = endpoints(4);
    LoadBalancer lb = lb(LbPolicy.ROUND_ROBIN, e, 50);
    int threads = 8;
    int perThread = 10_000;
    List<Thread> workers = new ArrayList<>();
    List<Map<Endpoint, Integer>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Map<Endpoint, Integer> mine = new HashMap<>();
      results.add(mine);
      workers.add(new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          mine.merge(lb.choose(), 1, Integer::sum);
        }
      }));
    }
    workers.forEach(Thread::start);
    for (Thread w : workers) {
      w.join();
    }
    Map<Endpoint, Integer> total = new HashMap<>();
    results.forEach(m -> m.forEach((k, v) -> total.merge(k, v, Integer::sum)));
    assertThat(total.values()).containsOnly(threads * perThread / 4);
  }

  @Test
  void random_isWeighted() {
    Endpoint a = new Endpoint("a", 80, 1);
    Endpoint b = new Endpoint("b", 80, 3);
    Map<Endpoint, Integer> counts = picks(lb(LbPolicy.RANDOM, List.of(a, b), 50), TestLbContext.seeded(11), 40_000);
    assertThat(counts.get(a) / 40_000.0).isBetween(0.24, 0.26);
    assertThat(counts.get(b) / 40_000.0).isBetween(0.74, 0.76);
  }

  @Test
  void random_weightedWithExclusion_keepsTheRatioOfTheRest() {
    Endpoint a = new Endpoint("a", 80, 1);
    Endpoint b = new Endpoint("b", 80, 3);
    Endpoint c = new Endpoint("c", 80, 4);
    Map<Endpoint, Integer> counts =
        picks(lb(LbPolicy.RANDOM, List.of(a, b, c), 0), TestLbContext.seeded(5).exclude(c), 40_000);
    assertThat(counts).doesNotContainKey(c);
    assertThat(counts.get(a) / 40_000.0).isBetween(0.24, 0.26);
  }

  @Test
  void random_equalWeights_isUniform() {
    List<Endpoint> e = endpoints(4);
    Map<Endpoint, Integer> counts = picks(lb(LbPolicy.RANDOM, e, 50), TestLbContext.seeded(2), 40_000);
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(9_600, 10_400));
  }

  @Test
  void distinctEndpointsAreDistinct_acrossPolicies() {
    Set<Endpoint> seen = new HashSet<>();
    for (LbPolicy p : LbPolicy.values()) {
      seen.addAll(picks(lb(p, endpoints(3), 50), TestLbContext.seeded(9), 300).keySet());
    }
    assertThat(seen).hasSize(3);
  }
}
