package dev.pylon.routing.upstream;

import java.util.List;

/**
 * Envoy's {@code LEAST_REQUEST} ({@code least_request_lb.cc}).
 *
 * <p>Equal weights: the power of {@code choiceCount} random choices — draw {@code choiceCount} endpoints uniformly
 * (with replacement) among those allowed and keep the first one with the fewest {@linkplain LbContext#activeRequests
 * active requests}; a later draw replaces the candidate only with strictly fewer.
 *
 * <p>Unequal weights: Envoy schedules by earliest deadline first with the dynamic weight {@code weight /
 * (active + 1)} (its default {@code active_request_bias} of 1.0). This class draws at random with probability
 * proportional to the same dynamic weight — the same long-run share per endpoint and load, without per-cluster
 * scheduler state to lock, at the cost of a scan of the endpoints per pick.
 */
final class LeastRequestLoadBalancer extends BaseLoadBalancer {

  private final int choiceCount;

  LeastRequestLoadBalancer(List<Endpoint> endpoints, int choiceCount, int panicThreshold) {
    super(endpoints, panicThreshold);
    this.choiceCount = Math.max(1, choiceCount);
  }

  @Override
  public Endpoint choose(LbContext context) {
    Endpoint[] e = endpoints;
    if (e.length <= 1) {
      return e.length == 0 ? null : e[0];
    }
    int[] allowed = allowed(context);
    int k = allowed == null ? e.length : allowed.length;
    if (equalWeights) {
      Endpoint candidate = null;
      int candidateActive = 0;
      for (int c = 0; c < choiceCount; c++) {
        int r = (int) context.random().nextLong(k);
        Endpoint sampled = e[allowed == null ? r : allowed[r]];
        int active = context.activeRequests(sampled);
        if (candidate == null || active < candidateActive) {
          candidate = sampled;
          candidateActive = active;
        }
      }
      return candidate;
    }
    double[] weights = new double[k];
    double total = 0;
    for (int i = 0; i < k; i++) {
      Endpoint endpoint = e[allowed == null ? i : allowed[i]];
      total += endpoint.weight() / (context.activeRequests(endpoint) + 1.0);
      weights[i] = total;
    }
    double r = randomUnit(context.random()) * total;
    for (int i = 0; i < k; i++) {
      if (r < weights[i]) {
        return e[allowed == null ? i : allowed[i]];
      }
    }
    return e[allowed == null ? k - 1 : allowed[k - 1]];
  }
}
