package dev.pylon.routing.upstream;

import java.util.Arrays;
import java.util.List;

/**
 * {@code RANDOM}: an endpoint drawn at random among those allowed, with probability proportional to its weight.
 * (Envoy's random load balancer ignores weights, {@code hosts[random % size]}; with the equal weights Kubernetes
 * endpoints have, both are the same uniform draw.)
 */
final class RandomLoadBalancer extends BaseLoadBalancer {

  private final long[] cumulative;

  RandomLoadBalancer(List<Endpoint> endpoints, int panicThreshold) {
    super(endpoints, panicThreshold);
    cumulative = new long[this.endpoints.length];
    long sum = 0;
    for (int i = 0; i < cumulative.length; i++) {
      sum += this.endpoints[i].weight();
      cumulative[i] = sum;
    }
  }

  @Override
  public Endpoint choose(LbContext context) {
    Endpoint[] e = endpoints;
    if (e.length <= 1) {
      return e.length == 0 ? null : e[0];
    }
    int[] allowed = allowed(context);
    if (equalWeights) {
      int k = allowed == null ? e.length : allowed.length;
      int r = (int) context.random().nextLong(k);
      return e[allowed == null ? r : allowed[r]];
    }
    if (allowed == null) {
      long r = context.random().nextLong(cumulative[cumulative.length - 1]);
      int i = Arrays.binarySearch(cumulative, r + 1);
      return e[i >= 0 ? i : -i - 1];
    }
    long total = 0;
    for (int i : allowed) {
      total += e[i].weight();
    }
    long r = context.random().nextLong(total);
    for (int i : allowed) {
      r -= e[i].weight();
      if (r < 0) {
        return e[i];
      }
    }
    throw new AssertionError("unreachable");
  }
}
