package dev.pylon.routing;

import java.util.concurrent.ThreadLocalRandom;

/** Randomness for weighted choices, injected so tests are deterministic. */
@FunctionalInterface
public interface RandomSource {

  /** A uniformly distributed value in {@code [0, bound)}; {@code bound > 0}. */
  long nextLong(long bound);

  /** The production source: {@link ThreadLocalRandom}. */
  RandomSource DEFAULT = bound -> ThreadLocalRandom.current().nextLong(bound);
}
