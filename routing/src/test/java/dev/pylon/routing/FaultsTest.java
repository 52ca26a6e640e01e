package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FaultsTest {

  private static final Duration FIVE_SECONDS = Duration.ofSeconds(5);

  /** A source that answers {@code value} for every draw, and fails the test when asked with another bound. */
  private static RandomSource always(long value) {
    return bound -> {
      assertThat(bound).isEqualTo(1_000_000L);
      return value;
    };
  }

  private static RandomSource seeded(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return r::nextLong;
  }

  static Stream<Arguments> thresholds() {
    // percent, draw (of a million), injected?
    return Stream.of(
        Arguments.of(10.0, 99_999L, true),
        Arguments.of(10.0, 100_000L, false),
        Arguments.of(0.0001, 0L, true),
        Arguments.of(0.0001, 1L, false),
        Arguments.of(99.9999, 999_998L, true),
        Arguments.of(99.9999, 999_999L, false));
  }

  @ParameterizedTest(name = "{0}% with draw {1} -> {2}")
  @MethodSource
  void thresholds(double percent, long draw, boolean injected) {
    FaultPolicy delay = new FaultPolicy(FIVE_SECONDS, percent, null, null, 0);
    assertThat(Faults.decide(delay, always(draw)).delay()).isEqualTo(injected ? FIVE_SECONDS : null);
    FaultPolicy abort = new FaultPolicy(null, 0, 503, null, percent);
    assertThat(Faults.decide(abort, always(draw)).httpStatus()).isEqualTo(injected ? 503 : null);
    assertThat(new MirrorPolicy("shadow", percent).sample(always(draw))).isEqualTo(injected);
  }

  @Test
  void zeroAndHundredPercent_neverDraw() {
    RandomSource noDraws = bound -> {
      throw new AssertionError("drew a random value");
    };
    assertThat(Faults.decide(new FaultPolicy(FIVE_SECONDS, 100, 500, null, 0), noDraws))
        .isEqualTo(new FaultDecision(FIVE_SECONDS, null, null));
    assertThat(new MirrorPolicy("shadow", 100).sample(noDraws)).isTrue();
    assertThat(new MirrorPolicy("shadow", 0).sample(noDraws)).isFalse();
    assertThat(Faults.decide(null, noDraws)).isEqualTo(FaultDecision.NONE);
  }

  @Test
  void grpcAbort_isUsedWhenNoHttpStatusIsSet() {
    FaultDecision d = Faults.decide(new FaultPolicy(null, 0, null, 14, 100), seeded(1));
    assertThat(d).isEqualTo(new FaultDecision(null, null, 14));
    assertThat(d.aborts()).isTrue();
  }

  @Test
  void delayAndAbort_areDrawnIndependently() {
    FaultPolicy half = new FaultPolicy(FIVE_SECONDS, 50, 503, null, 50);
    RandomSource random = seeded(42);
    int n = 100_000;
    int delayed = 0;
    int aborted = 0;
    int both = 0;
    for (int i = 0; i < n; i++) {
      FaultDecision d = Faults.decide(half, random);
      delayed += d.delay() != null ? 1 : 0;
      aborted += d.aborts() ? 1 : 0;
      both += d.delay() != null && d.aborts() ? 1 : 0;
    }
    assertThat(delayed / (double) n).isCloseTo(0.5, within(0.01));
    assertThat(aborted / (double) n).isCloseTo(0.5, within(0.01));
    assertThat(both / (double) n).isCloseTo(0.25, within(0.01));
  }

  @Test
  void mirrorPercentage_holdsOverManyRequests() {
    MirrorPolicy tenth = new MirrorPolicy("shadow", 10);
    RandomSource random = seeded(7);
    int n = 100_000;
    int mirrored = 0;
    for (int i = 0; i < n; i++) {
      mirrored += tenth.sample(random) ? 1 : 0;
    }
    assertThat(mirrored / (double) n).isCloseTo(0.10, within(0.005));
  }
}
