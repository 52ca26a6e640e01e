package dev.pylon.xds.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An Istio {@code VirtualService}, HTTP part. {@code hosts} and destination hosts are fully qualified (short names
 * resolved in the VirtualService's namespace); {@code gateways} and {@code exportTo} are as written.
 */
public record VirtualService(ResourceMeta meta, List<String> hosts, List<String> gateways, List<String> exportTo,
    List<HttpRule> http) implements ConfigResource {

  public VirtualService {
    hosts = List.copyOf(hosts);
    gateways = List.copyOf(gateways);
    exportTo = List.copyOf(exportTo);
    http = List.copyOf(http);
  }

  /** One {@code http} rule; {@code name} is null when not set, {@code timeout} is null when not set. */
  public record HttpRule(String name, List<HttpMatch> matches, List<RouteDestination> route, Duration timeout) {
    public HttpRule {
      matches = List.copyOf(matches);
      route = List.copyOf(route);
    }
  }

  /**
   * One match block; conditions are null (or empty maps) when not set. Header names are lower case; maps keep
   * document order.
   */
  public record HttpMatch(String name, StringMatch uri, boolean ignoreUriCase, StringMatch scheme, StringMatch method,
      StringMatch authority, Map<String, StringMatch> headers, Map<String, StringMatch> withoutHeaders,
      Map<String, StringMatch> queryParams, List<String> gateways) {
    public HttpMatch {
      headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
      withoutHeaders = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(withoutHeaders));
      queryParams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(queryParams));
      gateways = List.copyOf(gateways);
    }
  }

  /** An Istio {@code StringMatch}; {@link Kind#PRESENT} is the {@code {}} form allowed for headers and queries. */
  public record StringMatch(Kind kind, String value) {
    public enum Kind { EXACT, PREFIX, REGEX, PRESENT }
  }

  /** {@code weight} is 0 when not set. */
  public record RouteDestination(Destination destination, int weight) {}

  /** {@code subset} is null when not set; {@code port} is 0 when not set. */
  public record Destination(String host, String subset, int port) {}
}
