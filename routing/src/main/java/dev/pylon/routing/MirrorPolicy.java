package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * Traffic mirroring (Envoy {@code request_mirror_policies}): a copy of the request goes to {@code cluster}, fire and
 * forget, its response ignored; the copy's authority gets the suffix {@code -shadow}, as Envoy does.
 *
 * @param percent share of requests mirrored, 0-100
 */
public record MirrorPolicy(String cluster, double percent) {

  public MirrorPolicy {
    requireNonNull(cluster, "cluster");
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("percent: " + percent + " (expected: 0-100)");
    }
  }

  /**
   * Whether this request is mirrored: always at 100%, never at 0%, otherwise with probability {@code percent / 100}
   * at a resolution of one in a million (Envoy's {@code runtime_fraction} as Istio sends it).
   */
  public boolean sample(RandomSource random) {
    return Percentages.sample(percent, random);
  }
}
