package dev.pylon.routing.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.RandomSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OutlierDetectorTest {

  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration BASE = Duration.ofSeconds(30);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<Endpoint> endpoints = LoadBalancersTest.endpoints(4);
  private final Endpoint a = endpoints.get(0);
  private final Endpoint b = endpoints.get(1);

  private static OutlierDetectionPolicy policy(int c5xx, int gateway, Duration max, int maxPercent, int enforce5xx,
      int enforceGateway) {
    return new OutlierDetectionPolicy(c5xx, gateway, INTERVAL, BASE, max, maxPercent, enforce5xx, enforceGateway);
  }

  private static OutlierDetectionPolicy fiveXx(int threshold) {
    return policy(threshold, 0, Duration.ofSeconds(300), 100, 100, 0);
  }

  private OutlierDetector detector(OutlierDetectionPolicy p) {
    return detector(p, bound -> {
      throw new AssertionError("an enforcement of 0 or 100% draws nothing");
    });
  }

  private OutlierDetector detector(OutlierDetectionPolicy p, RandomSource random) {
    OutlierDetector d = new OutlierDetector(p, now::get, random);
    d.updateEndpoints(endpoints);
    return d;
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  private static void report(OutlierDetector d, Endpoint e, int... statuses) {
    for (int s : statuses) {
      d.reportResponse(e, s);
    }
  }

  @Test
  void consecutive5xx_ejectAtTheThreshold() {
    OutlierDetector d = detector(fiveXx(5));
    report(d, a, 500, 503, 500, 501);
    assertThat(d.isEjected(a)).isFalse();
    report(d, a, 599);
    assertThat(d.isEjected(a)).isTrue();
    assertThat(d.isEjected(b)).isFalse();
    assertThat(d.ejectedCount()).isEqualTo(1);
    assertThat(d.ejectionsTotal()).isEqualTo(1);
  }

  static Stream<Arguments> resets() {
    return Stream.of(
        Arguments.of(new int[] {500, 500, 500, 500, 200, 500, 500, 500, 500}, false),
        Arguments.of(new int[] {500, 500, 500, 500, 404, 500}, false),
        Arguments.of(new int[] {500, 500, 500, 500, 0, 500}, false),
        Arguments.of(new int[] {500, 500, 500, 500, 499, 500, 500, 500, 500, 500}, true));
  }

  @ParameterizedTest(name = "{0} -> ejected {1}")
  @MethodSource("resets")
  void anyNon5xx_resetsTheCount(int[] statuses, boolean ejected) {
    OutlierDetector d = detector(fiveXx(5));
    report(d, a, statuses);
    assertThat(d.isEjected(a)).isEqualTo(ejected);
  }

  @Test
  void gatewayFailures_countOnly502To504_andAnOther5xxResetsThem() {
    OutlierDetector d = detector(policy(0, 3, Duration.ofSeconds(300), 100, 0, 100));
    report(d, a, 502, 503, 500);
    assertThat(d.isEjected(a)).isFalse();
    report(d, a, 504, 502);
    assertThat(d.isEjected(a)).isFalse();
    report(d, a, 503);
    assertThat(d.isEjected(a)).isTrue();
  }

  @Test
  void localFailures_countAsGatewayFailuresAnd5xx() {
    OutlierDetector gateway = detector(policy(0, 3, Duration.ofSeconds(300), 100, 0, 100));
    OutlierDetector fiveXx = detector(fiveXx(3));
    for (int i = 0; i < 3; i++) {
      gateway.reportLocalFailure(a);
      fiveXx.reportLocalFailure(a);
    }
    assertThat(gateway.isEjected(a)).isTrue();
    assertThat(fiveXx.isEjected(a)).isTrue();
  }

  @Test
  void thresholdZero_isOff() {
    OutlierDetector d = detector(policy(0, 0, Duration.ofSeconds(300), 100, 100, 100));
    for (int i = 0; i < 100; i++) {
      d.reportLocalFailure(a);
    }
    assertThat(d.isEjected(a)).isFalse();
  }

  @Test
  void ejection_endsWhenItsTimeIsOver() {
    OutlierDetector d = detector(fiveXx(5));
    report(d, a, 500, 500, 500, 500, 500);
    advance(BASE.minusNanos(1));
    assertThat(d.isEjected(a)).isTrue();
    advance(Duration.ofNanos(1));
    assertThat(d.isEjected(a)).isFalse();
    assertThat(d.ejectedCount()).isZero();
    assertThat(d.ejectionsTotal()).isEqualTo(1);
  }

  /** Ejects {@code e} now and returns how long the ejection lasts, leaving the clock at its end. */
  private Duration ejectAndMeasure(OutlierDetector d, Endpoint e) {
    report(d, e, 500, 500, 500, 500, 500);
    assertThat(d.isEjected(e)).isTrue();
    long start = now.get();
    long step = Duration.ofSeconds(1).toNanos();
    while (d.isEjected(e)) {
      now.addAndGet(step);
    }
    return Duration.ofNanos(now.get() - start);
  }

  @Test
  void repeatedEjections_lastBaseTimesTheirNumber_cappedByTheMax() {
    OutlierDetector d = detector(policy(5, 0, Duration.ofSeconds(75), 100, 100, 0));
    List<Duration> durations = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      durations.add(ejectAndMeasure(d, a));
    }
    assertThat(durations).containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(75),
        Duration.ofSeconds(75), Duration.ofSeconds(75));
    // the multiplier stops growing once base * m reaches max + base (Envoy's cap)
    assertThat(d.multiplier(a)).isEqualTo(4);
  }

  @Test
  void maxEjectionTimeBelowBase_meansBase() {
    OutlierDetector d = detector(policy(5, 0, Duration.ofSeconds(1), 100, 100, 0));
    assertThat(ejectAndMeasure(d, a)).isEqualTo(BASE);
    assertThat(ejectAndMeasure(d, a)).isEqualTo(BASE);
  }

  @Test
  void multiplier_decaysByOnePerIntervalSpentHealthy() {
    OutlierDetector d = detector(fiveXx(5));
    ejectAndMeasure(d, a);
    ejectAndMeasure(d, a);
    ejectAndMeasure(d, a);
    assertThat(d.multiplier(a)).isEqualTo(3);
    // one interval healthy: 3 - 1 = 2, so the next ejection is the third again (90 s)
    advance(INTERVAL);
    assertThat(ejectAndMeasure(d, a)).isEqualTo(Duration.ofSeconds(90));
    // two intervals and a bit healthy: 3 - 2 = 1, next ejection lasts 60 s
    advance(INTERVAL.multipliedBy(2).plusSeconds(5));
    assertThat(ejectAndMeasure(d, a)).isEqualTo(Duration.ofSeconds(60));
    // long healthy: back to the base time
    advance(Duration.ofHours(1));
    assertThat(ejectAndMeasure(d, a)).isEqualTo(BASE);
  }

  @Test
  void countsStartOver_whenAnEndpointReturns() {
    OutlierDetector d = detector(fiveXx(5));
    report(d, a, 500, 500, 500, 500, 500);
    // in-flight failures while ejected: counted, but they eject nothing more
    report(d, a, 500, 500, 500, 500, 500, 500);
    assertThat(d.ejectionsTotal()).isEqualTo(1);
    advance(BASE);
    report(d, a, 500, 500, 500, 500);
    assertThat(d.isEjected(a)).isFalse();
    report(d, a, 500);
    assertThat(d.isEjected(a)).isTrue();
    assertThat(d.ejectionsTotal()).isEqualTo(2);
  }

  static Stream<Arguments> maxEjectionPercent() {
    // endpoints, max percent -> how many of them failing get ejected
    return Stream.of(
        Arguments.of(10, 20, 2),
        Arguments.of(10, 10, 1),
        Arguments.of(10, 9, 0),
        // Istio's default 10% ejects nothing among 3 endpoints: 1/3 > 10%
        Arguments.of(3, 10, 0),
        Arguments.of(3, 34, 1),
        Arguments.of(2, 50, 1),
        Arguments.of(4, 100, 4),
        Arguments.of(4, 0, 0));
  }

  @ParameterizedTest(name = "{0} endpoints, max {1}% -> {2} ejected")
  @MethodSource
  void maxEjectionPercent(int count, int maxPercent, int ejected) {
    List<Endpoint> list = LoadBalancersTest.endpoints(count);
    OutlierDetector d = new OutlierDetector(policy(5, 0, Duration.ofSeconds(300), maxPercent, 100, 0), now::get,
        bound -> 0);
    d.updateEndpoints(list);
    for (Endpoint e : list) {
      report(d, e, 500, 500, 500, 500, 500);
    }
    assertThat(d.ejectedCount()).isEqualTo(ejected);
    assertThat(d.ejectionsTotal()).isEqualTo(ejected);
  }

  @Test
  void refusedEjection_resetsTheCount_soTheNextTryNeedsAFullRun() {
    List<Endpoint> two = LoadBalancersTest.endpoints(2);
    OutlierDetector d = new OutlierDetector(policy(5, 0, Duration.ofSeconds(300), 50, 100, 0), now::get, b -> 0);
    d.updateEndpoints(two);
    report(d, two.get(0), 500, 500, 500, 500, 500);
    report(d, two.get(1), 500, 500, 500, 500, 500);
    assertThat(d.isEjected(two.get(1))).as("over the limit").isFalse();
    advance(BASE);
    report(d, two.get(1), 500, 500, 500, 500);
    assertThat(d.isEjected(two.get(1))).isFalse();
    report(d, two.get(1), 500);
    assertThat(d.isEjected(two.get(1))).isTrue();
  }

  static Stream<Arguments> enforcement() {
    // enforcing percent, draw (of 100) -> ejected
    return Stream.of(
        Arguments.of(30, 29L, true),
        Arguments.of(30, 30L, false),
        Arguments.of(1, 0L, true),
        Arguments.of(99, 99L, false));
  }

  @ParameterizedTest(name = "enforcing {0}%, draw {1} -> {2}")
  @MethodSource
  void enforcement(int percent, long draw, boolean ejected) {
    OutlierDetector d = detector(policy(5, 0, Duration.ofSeconds(300), 100, percent, 0), bound -> {
      assertThat(bound).isEqualTo(100);
      return draw;
    });
    report(d, a, 500, 500, 500, 500, 500);
    assertThat(d.isEjected(a)).isEqualTo(ejected);
    assertThat(d.ejectionsTotal()).isEqualTo(ejected ? 1 : 0);
  }

  @Test
  void enforcingZero_detectsButNeverEjects() {
    OutlierDetector d = detector(policy(5, 0, Duration.ofSeconds(300), 100, 0, 0));
    for (int i = 0; i < 50; i++) {
      d.reportResponse(a, 500);
    }
    assertThat(d.isEjected(a)).isFalse();
    assertThat(d.ejectionsTotal()).isZero();
  }

  @Test
  void gatewayAndFiveXx_eachUseTheirOwnEnforcement() {
    // 503s reach both thresholds; only the gateway detector is enforced
    OutlierDetector d = detector(policy(3, 3, Duration.ofSeconds(300), 100, 0, 100));
    report(d, a, 503, 503, 503);
    assertThat(d.isEjected(a)).isTrue();
    OutlierDetector e = detector(policy(3, 3, Duration.ofSeconds(300), 100, 100, 0));
    report(e, a, 500, 500, 500);
    assertThat(e.isEjected(a)).isTrue();
  }

  @Test
  void updateEndpoints_forgetsRemovedOnes_andKeepsStateAcrossWeightChanges() {
    OutlierDetector d = detector(fiveXx(5));
    report(d, a, 500, 500, 500, 500, 500);
    report(d, b, 500, 500, 500, 500);

    Endpoint heavierB = new Endpoint(b.address(), b.port(), 5);
    d.updateEndpoints(List.of(endpoints.get(2), endpoints.get(3), heavierB));
    assertThat(d.isEjected(a)).isFalse();
    assertThat(d.ejectedCount()).isZero();
    d.reportResponse(heavierB, 500);
    assertThat(d.isEjected(heavierB)).as("the count of b survived the weight change").isTrue();

    d.updateEndpoints(endpoints);
    assertThat(d.isEjected(a)).as("a comes back fresh").isFalse();
    report(d, a, 500, 500, 500, 500);
    assertThat(d.isEjected(a)).isFalse();
  }

  @Test
  void unknownEndpoints_areIgnored() {
    OutlierDetector d = new OutlierDetector(fiveXx(1), now::get, b -> 0);
    d.reportResponse(a, 500);
    d.reportLocalFailure(a);
    assertThat(d.isEjected(a)).isFalse();
    assertThat(d.ejectionsTotal()).isZero();
  }

  @Test
  void updatePolicy_appliesToLaterCounts() {
    OutlierDetector d = detector(fiveXx(5));
    report(d, a, 500, 500);
    d.updatePolicy(fiveXx(3));
    report(d, a, 500);
    assertThat(d.isEjected(a)).isTrue();
  }

  @Test
  void concurrentReports_ejectOnce() throws Exception {
    OutlierDetector d = detector(fiveXx(5));
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      workers.add(new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < 2000; i++) {
          d.reportResponse(a, 500);
          d.isEjected(a);
        }
      }));
    }
    workers.forEach(Thread::start);
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    assertThat(d.ejectionsTotal()).isEqualTo(1);
    assertThat(d.isEjected(a)).isTrue();
  }

  @Test
  void drivesTheLoadBalancer_withinThePanicThreshold() {
    List<Endpoint> two = LoadBalancersTest.endpoints(2);
    OutlierDetector d = new OutlierDetector(fiveXx(5), now::get, b -> 0);
    d.updateEndpoints(two);
    report(d, two.get(0), 500, 500, 500, 500, 500);
    LoadBalancer lb = LoadBalancersTest.lb(LbPolicy.ROUND_ROBIN, two, 50);
    TestLbContext ctx = TestLbContext.seeded(1);
    ctx.excluded = d::isEjected;
    // 1 of 2 healthy is 50%, not below the 50% threshold: the ejected endpoint gets nothing
    assertThat(LoadBalancersTest.picks(lb, ctx, 100)).containsOnlyKeys(two.get(1));
    advance(BASE);
    assertThat(LoadBalancersTest.picks(lb, ctx, 100)).containsOnlyKeys(two.get(0), two.get(1));
  }
}
