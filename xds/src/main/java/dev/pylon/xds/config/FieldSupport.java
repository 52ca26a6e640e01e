package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code FieldSupport} is the one list of the Istio fields Pylon implements, and of those it knows but rejects with
 * "not supported yet" because ignoring them would change the meaning of the config. A later issue that implements a
 * field moves it from {@link #NOT_SUPPORTED_YET} to {@link #SUPPORTED} (and teaches the parser and translator to read
 * it). Any key in neither list is a typo or a field from another API: "unknown field".
 */
final class FieldSupport {

  enum Verdict { SUPPORTED, NOT_SUPPORTED_YET, UNKNOWN }

  /** Schema names used by the parser; a schema is one message type of the Istio API. */
  static final String RESOURCE = "resource";
  static final String GATEWAY = "Gateway";
  static final String SERVER = "Server";
  static final String SERVER_PORT = "Port";
  static final String VIRTUAL_SERVICE = "VirtualService";
  static final String HTTP_ROUTE = "HTTPRoute";
  static final String HTTP_MATCH = "HTTPMatchRequest";
  static final String STRING_MATCH = "StringMatch";
  static final String ROUTE_DESTINATION = "HTTPRouteDestination";
  static final String DESTINATION = "Destination";
  static final String PORT_SELECTOR = "PortSelector";
  static final String DESTINATION_RULE = "DestinationRule";
  static final String SUBSET = "Subset";
  static final String SERVICE_ENTRY = "ServiceEntry";
  static final String SERVICE_PORT = "ServicePort";
  static final String WORKLOAD_ENTRY = "WorkloadEntry";

  private static final Map<String, Set<String>> SUPPORTED = Map.ofEntries(
      Map.entry(RESOURCE, Set.of("apiVersion", "kind", "metadata", "spec", "status")),
      Map.entry(GATEWAY, Set.of("selector", "servers")),
      Map.entry(SERVER, Set.of("port", "bind", "hosts", "name")),
      // targetPort only applies to ServiceEntry ports; on a Gateway it has no effect
      Map.entry(SERVER_PORT, Set.of("number", "protocol", "name", "targetPort")),
      Map.entry(VIRTUAL_SERVICE, Set.of("hosts", "gateways", "http", "exportTo")),
      Map.entry(HTTP_ROUTE, Set.of("name", "match", "route", "timeout")),
      Map.entry(HTTP_MATCH, Set.of("name", "uri", "scheme", "method", "authority", "headers", "queryParams",
          "ignoreUriCase", "withoutHeaders", "gateways")),
      Map.entry(STRING_MATCH, Set.of("exact", "prefix", "regex")),
      Map.entry(ROUTE_DESTINATION, Set.of("destination", "weight")),
      Map.entry(DESTINATION, Set.of("host", "subset", "port")),
      Map.entry(PORT_SELECTOR, Set.of("number")),
      Map.entry(DESTINATION_RULE, Set.of("host", "subsets", "exportTo")),
      Map.entry(SUBSET, Set.of("name", "labels")),
      // addresses, location and subjectAltNames only matter to sidecars and mTLS origination, which a later issue adds
      Map.entry(SERVICE_ENTRY, Set.of("hosts", "addresses", "ports", "location", "resolution", "endpoints",
          "exportTo", "subjectAltNames")),
      Map.entry(SERVICE_PORT, Set.of("number", "protocol", "name", "targetPort")),
      // network, locality and serviceAccount only matter to multi-network, locality LB and mTLS
      Map.entry(WORKLOAD_ENTRY, Set.of("address", "ports", "labels", "network", "locality", "weight",
          "serviceAccount")));

  private static final Map<String, Set<String>> NOT_SUPPORTED_YET = Map.ofEntries(
      Map.entry(SERVER, Set.of("tls", "defaultEndpoint")),
      Map.entry(VIRTUAL_SERVICE, Set.of("tcp", "tls", "delegate")),
      Map.entry(HTTP_ROUTE, Set.of("redirect", "directResponse", "delegate", "rewrite", "retries", "fault", "mirror",
          "mirrors", "mirrorPercent", "mirrorPercentage", "mirror_percent", "corsPolicy", "headers")),
      Map.entry(HTTP_MATCH, Set.of("port", "sourceLabels", "sourceNamespace", "statPrefix")),
      Map.entry(ROUTE_DESTINATION, Set.of("headers")),
      Map.entry(DESTINATION_RULE, Set.of("trafficPolicy", "workloadSelector")),
      Map.entry(SUBSET, Set.of("trafficPolicy")),
      Map.entry(SERVICE_ENTRY, Set.of("workloadSelector")));

  /** Gateway server protocols Pylon serves; the others Istio knows come with later issues (TLS, TCP). */
  static final List<String> SERVER_PROTOCOLS = List.of("HTTP", "HTTP2", "GRPC");
  static final Set<String> SERVER_PROTOCOLS_NOT_SUPPORTED_YET =
      Set.of("HTTPS", "TLS", "TCP", "GRPC-WEB", "MONGO", "MYSQL", "REDIS", "UDP");

  /** ServiceEntry resolutions Pylon implements; NONE (passthrough to the original destination) comes later. */
  static final List<String> RESOLUTIONS = List.of("STATIC", "DNS", "DNS_ROUND_ROBIN");
  static final Set<String> RESOLUTIONS_NOT_SUPPORTED_YET = Set.of("NONE");

  private FieldSupport() {}

  static Verdict check(String schema, String key) {
    if (SUPPORTED.getOrDefault(schema, Set.of()).contains(key)) {
      return Verdict.SUPPORTED;
    }
    if (NOT_SUPPORTED_YET.getOrDefault(schema, Set.of()).contains(key)) {
      return Verdict.NOT_SUPPORTED_YET;
    }
    return Verdict.UNKNOWN;
  }
}
