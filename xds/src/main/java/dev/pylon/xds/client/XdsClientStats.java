package dev.pylon.xds.client;

import java.util.Map;

/**
 * A point-in-time view of an {@link XdsClient}, for the admin page, metrics and readiness.
 *
 * @param connected whether the ADS stream is open on a ready channel
 * @param acks accepted responses
 * @param nacks rejected responses
 * @param reconnects stream re-establishment attempts after a failure
 * @param lastNack the error message of the last rejected response, or {@code null} if none was rejected
 * @param lastAppliedVersions the {@code version_info} of the last accepted response by type URL
 * @param snapshotsPublished how many snapshots were handed to the gateway; 0 means not ready
 */
public record XdsClientStats(
    boolean connected,
    long acks,
    long nacks,
    long reconnects,
    String lastNack,
    Map<String, String> lastAppliedVersions,
    long snapshotsPublished) {

  public XdsClientStats {
    lastAppliedVersions = Map.copyOf(lastAppliedVersions);
  }
}
