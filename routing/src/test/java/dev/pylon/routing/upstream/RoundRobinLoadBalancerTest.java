package dev.pylon.routing.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoundRobinLoadBalancerTest {

  private static Cluster cluster(Endpoint... endpoints) {
    return new Cluster("c", Duration.ofSeconds(10), LbPolicy.ROUND_ROBIN, List.of(endpoints));
  }

  @Test
  void equalWeights_cycleInOrder() {
    Cluster c = cluster(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80), Endpoint.of("10.0.0.3", 80));
    List<String> picks = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      picks.add(c.loadBalancer().choose().address());
    }
    assertThat(picks)
        .containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1", "10.0.0.2", "10.0.0.3");
  }

  @Test
  void noEndpoints_choosesNull() {
    assertThat(cluster().loadBalancer().choose()).isNull();
  }

  @Test
  void unequalWeights_giveProportionalAndSpreadPicks() {
    Endpoint a = new Endpoint("a", 80, 3);
    Endpoint b = new Endpoint("b", 80, 1);
    Cluster c = cluster(a, b);
    List<String> cycle = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      cycle.add(c.loadBalancer().choose().address());
    }
    assertThat(Collections.frequency(cycle, "a")).isEqualTo(3);
    assertThat(Collections.frequency(cycle, "b")).isEqualTo(1);
    // smooth: b is not starved behind a block of a's
    assertThat(cycle).containsExactly("a", "a", "b", "a");
  }

  @Test
  void withEndpoints_replacesEndpointsAndKeepsSettings() {
    Cluster c = cluster(Endpoint.of("10.0.0.1", 80));
    Cluster d = c.withEndpoints(List.of(Endpoint.of("10.0.0.9", 81)));
    assertThat(d.name()).isEqualTo("c");
    assertThat(d.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.loadBalancer().choose()).isEqualTo(Endpoint.of("10.0.0.9", 81));
  }
}
