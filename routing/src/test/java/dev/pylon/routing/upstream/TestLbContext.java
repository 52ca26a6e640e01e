package dev.pylon.routing.upstream;

import dev.pylon.routing.RandomSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/** An {@link LbContext} of plain values. */
class TestLbContext implements LbContext {

  Predicate<Endpoint> excluded = e -> false;
  final Set<Endpoint> excludedSet = new HashSet<>();
  final Map<Endpoint, Integer> active = new HashMap<>();
  Long hash;
  RandomSource random;

  TestLbContext(RandomSource random) {
    this.random = random;
  }

  static TestLbContext seeded(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return new TestLbContext(r::nextLong);
  }

  TestLbContext exclude(Endpoint... endpoints) {
    excludedSet.addAll(Set.of(endpoints));
    return this;
  }

  TestLbContext hash(long h) {
    hash = h;
    return this;
  }

  @Override
  public boolean hasHash() {
    return hash != null;
  }

  @Override
  public long hash() {
    return hash == null ? 0 : hash;
  }

  @Override
  public boolean isExcluded(Endpoint endpoint) {
    return excludedSet.contains(endpoint) || excluded.test(endpoint);
  }

  @Override
  public int activeRequests(Endpoint endpoint) {
    return active.getOrDefault(endpoint, 0);
  }

  @Override
  public RandomSource random() {
    return random;
  }
}
