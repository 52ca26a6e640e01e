package dev.pylon.routing.upstream;

/**
 * Tuning of the load-balancing policy, with Envoy's defaults.
 *
 * @param leastRequestChoiceCount how many random endpoints {@code LEAST_REQUEST} compares (Envoy default 2)
 * @param ringHashMinimumSize minimum ring size (Envoy default 1024)
 * @param ringHashMaximumSize maximum ring size (Envoy default 8M)
 * @param maglevTableSize Maglev table size, a prime (Envoy default 65537)
 */
public record LbConfig(
    int leastRequestChoiceCount, long ringHashMinimumSize, long ringHashMaximumSize, long maglevTableSize) {

  public static final LbConfig DEFAULT = new LbConfig(2, 1024, 8 * 1024 * 1024, 65537);
}
