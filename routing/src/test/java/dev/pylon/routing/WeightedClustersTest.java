package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.routing.WeightedClusters.ClusterWeight;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightedClustersTest {

  private static final WeightedClusters NINETY_TEN =
      new WeightedClusters(List.of(new ClusterWeight("v1", 90), new ClusterWeight("v3", 10)));

  @Test
  void pick_usesCumulativeWeights_atEveryBoundary() {
    assertThat(NINETY_TEN.pick(bound -> 0)).isEqualTo("v1");
    assertThat(NINETY_TEN.pick(bound -> 89)).isEqualTo("v1");
    assertThat(NINETY_TEN.pick(bound -> 90)).isEqualTo("v3");
    assertThat(NINETY_TEN.pick(bound -> 99)).isEqualTo("v3");
  }

  @Test
  void pick_drawsBelowTheTotalWeight() {
    long[] seen = new long[1];
    NINETY_TEN.pick(bound -> {
      seen[0] = bound;
      return 0;
    });
    assertThat(seen[0]).isEqualTo(100);
  }

  @Test
  void weights_areRelative_notPercentages() {
    WeightedClusters w = new WeightedClusters(List.of(new ClusterWeight("a", 1), new ClusterWeight("b", 3)));
    assertThat(w.totalWeight()).isEqualTo(4);
    assertThat(w.pick(b -> 0)).isEqualTo("a");
    assertThat(w.pick(b -> 1)).isEqualTo("b");
  }

  @Test
  void zeroWeight_neverChosen() {
    WeightedClusters w =
        new WeightedClusters(
            List.of(new ClusterWeight("a", 0), new ClusterWeight("b", 5), new ClusterWeight("c", 0)));
    for (long r = 0; r < 5; r++) {
      long draw = r;
      assertThat(w.pick(b -> draw)).isEqualTo("b");
    }
  }

  @Test
  void distribution_withSeededRandom_isCloseToTheWeights() {
    SplittableRandom random = new SplittableRandom(42);
    Map<String, Integer> counts = new HashMap<>();
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      counts.merge(NINETY_TEN.pick(random::nextLong), 1, Integer::sum);
    }
    assertThat(counts.get("v1") / (double) n).isBetween(0.89, 0.91);
  }

  @Test
  void invalid_weights_areRejected() {
    assertThatThrownBy(() -> new WeightedClusters(List.of()))
        .hasMessage("weighted clusters: at least one cluster is required");
    assertThatThrownBy(() -> new WeightedClusters(List.of(new ClusterWeight("a", 0))))
        .hasMessage("weighted clusters: the sum of weights is 0 (expected: > 0)");
    assertThatThrownBy(() -> new WeightedClusters(List.of(new ClusterWeight("a", -1))))
        .hasMessage("cluster 'a': weight -1 (expected: >= 0)");
  }
}
