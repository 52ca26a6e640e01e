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
  static final String HTTP_REDIRECT = "HTTPRedirect";
  static final String HTTP_DIRECT_RESPONSE = "HTTPDirectResponse";
  static final String HTTP_BODY = "HTTPBody";
  static final String DELEGATE = "Delegate";
  static final String HTTP_REWRITE = "HTTPRewrite";
  static final String REGEX_REWRITE = "RegexRewrite";
  static final String HEADERS = "Headers";
  static final String HEADER_OPERATIONS = "HeaderOperations";
  static final String CORS_POLICY = "CorsPolicy";
  static final String HTTP_RETRY = "HTTPRetry";
  static final String HTTP_FAULT = "HTTPFaultInjection";
  static final String DELAY = "Delay";
  static final String ABORT = "Abort";
  static final String PERCENT = "Percent";
  static final String HTTP_MIRROR_POLICY = "HTTPMirrorPolicy";
  static final String TRAFFIC_POLICY = "TrafficPolicy";
  static final String PORT_TRAFFIC_POLICY = "PortTrafficPolicy";
  static final String LOAD_BALANCER = "LoadBalancerSettings";
  static final String CONSISTENT_HASH = "ConsistentHashLB";
  static final String HTTP_COOKIE = "HTTPCookie";
  static final String RING_HASH = "RingHash";
  static final String MAGLEV = "MagLev";
  static final String CONNECTION_POOL = "ConnectionPoolSettings";
  static final String TCP_SETTINGS = "TCPSettings";
  static final String HTTP_SETTINGS = "HTTPSettings";
  static final String OUTLIER_DETECTION = "OutlierDetection";
  static final String SERVICE_PORT = "ServicePort";
  static final String WORKLOAD_ENTRY = "WorkloadEntry";
  static final String SERVER_TLS = "ServerTLSSettings";
  static final String CLIENT_TLS = "ClientTLSSettings";
  static final String TLS_ROUTE = "TLSRoute";
  static final String TLS_MATCH = "TLSMatchAttributes";
  static final String TLS_ROUTE_DESTINATION = "RouteDestination";

  private static final Map<String, Set<String>> SUPPORTED = Map.ofEntries(
      Map.entry(RESOURCE, Set.of("apiVersion", "kind", "metadata", "spec", "status")),
      Map.entry(GATEWAY, Set.of("selector", "servers")),
      Map.entry(SERVER, Set.of("port", "bind", "hosts", "name", "tls")),
      Map.entry(SERVER_TLS, Set.of("httpsRedirect", "mode", "serverCertificate", "privateKey", "caCertificates",
          "credentialName", "subjectAltNames", "minProtocolVersion", "maxProtocolVersion", "cipherSuites")),
      // targetPort only applies to ServiceEntry ports; on a Gateway it has no effect
      Map.entry(SERVER_PORT, Set.of("number", "protocol", "name", "targetPort")),
      Map.entry(VIRTUAL_SERVICE, Set.of("hosts", "gateways", "http", "tls", "exportTo")),
      Map.entry(TLS_ROUTE, Set.of("match", "route")),
      Map.entry(TLS_MATCH, Set.of("sniHosts", "port", "gateways")),
      Map.entry(TLS_ROUTE_DESTINATION, Set.of("destination", "weight")),
      Map.entry(HTTP_ROUTE, Set.of("name", "match", "route", "timeout", "redirect", "directResponse", "delegate",
          "rewrite", "retries", "fault", "mirror", "mirrors", "mirrorPercent", "mirrorPercentage", "mirror_percent",
          "corsPolicy", "headers")),
      // statPrefix only names statistics: accepted and ignored
      Map.entry(HTTP_MATCH, Set.of("name", "uri", "scheme", "method", "authority", "headers", "queryParams",
          "ignoreUriCase", "withoutHeaders", "gateways", "port", "statPrefix")),
      Map.entry(STRING_MATCH, Set.of("exact", "prefix", "regex")),
      Map.entry(ROUTE_DESTINATION, Set.of("destination", "weight", "headers")),
      Map.entry(DESTINATION, Set.of("host", "subset", "port")),
      Map.entry(PORT_SELECTOR, Set.of("number")),
      Map.entry(HTTP_REDIRECT, Set.of("uri", "authority", "port", "derivePort", "scheme", "redirectCode")),
      Map.entry(HTTP_DIRECT_RESPONSE, Set.of("status", "body")),
      Map.entry(HTTP_BODY, Set.of("string", "bytes")),
      Map.entry(DELEGATE, Set.of("name", "namespace")),
      Map.entry(HTTP_REWRITE, Set.of("uri", "authority", "uriRegexRewrite")),
      Map.entry(REGEX_REWRITE, Set.of("match", "rewrite")),
      Map.entry(HEADERS, Set.of("request", "response")),
      Map.entry(HEADER_OPERATIONS, Set.of("set", "add", "remove")),
      Map.entry(CORS_POLICY, Set.of("allowOrigin", "allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders",
          "maxAge", "allowCredentials", "unmatchedPreflights")),
      // retryRemoteLocalities is accepted and has no effect: a gateway's endpoints have no locality priorities
      Map.entry(HTTP_RETRY, Set.of("attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities",
          "retryIgnorePreviousHosts", "backoff")),
      Map.entry(HTTP_FAULT, Set.of("delay", "abort")),
      Map.entry(DELAY, Set.of("fixedDelay", "percentage", "percent")),
      Map.entry(ABORT, Set.of("httpStatus", "grpcStatus", "percentage")),
      Map.entry(PERCENT, Set.of("value")),
      Map.entry(HTTP_MIRROR_POLICY, Set.of("destination", "percentage")),
      Map.entry(DESTINATION_RULE, Set.of("host", "subsets", "exportTo", "trafficPolicy")),
      Map.entry(SUBSET, Set.of("name", "labels", "trafficPolicy")),
      Map.entry(TRAFFIC_POLICY, Set.of("loadBalancer", "connectionPool", "outlierDetection", "portLevelSettings",
          "tls")),
      Map.entry(PORT_TRAFFIC_POLICY, Set.of("port", "loadBalancer", "connectionPool", "outlierDetection", "tls")),
      Map.entry(CLIENT_TLS, Set.of("mode", "clientCertificate", "privateKey", "caCertificates", "credentialName",
          "subjectAltNames", "sni", "insecureSkipVerify")),
      Map.entry(LOAD_BALANCER, Set.of("simple", "consistentHash")),
      Map.entry(CONSISTENT_HASH, Set.of("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName",
          "ringHash", "maglev", "minimumRingSize")),
      Map.entry(HTTP_COOKIE, Set.of("name", "path", "ttl")),
      Map.entry(RING_HASH, Set.of("minimumRingSize")),
      Map.entry(MAGLEV, Set.of("tableSize")),
      Map.entry(CONNECTION_POOL, Set.of("tcp", "http")),
      Map.entry(TCP_SETTINGS, Set.of("maxConnections", "connectTimeout", "idleTimeout")),
      Map.entry(HTTP_SETTINGS, Set.of("http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection",
          "maxRetries", "idleTimeout", "h2UpgradePolicy", "useClientProtocol")),
      Map.entry(OUTLIER_DETECTION, Set.of("consecutiveErrors", "consecutive5xxErrors", "consecutiveGatewayErrors",
          "interval", "baseEjectionTime", "maxEjectionPercent", "minHealthPercent",
          "splitExternalLocalOriginErrors")),
      // addresses and location only matter to sidecars; subjectAltNames are the identities ISTIO_MUTUAL expects
      Map.entry(SERVICE_ENTRY, Set.of("hosts", "addresses", "ports", "location", "resolution", "endpoints",
          "exportTo", "subjectAltNames")),
      Map.entry(SERVICE_PORT, Set.of("number", "protocol", "name", "targetPort")),
      // network and locality only matter to multi-network and locality LB; serviceAccount is an expected identity
      Map.entry(WORKLOAD_ENTRY, Set.of("address", "ports", "labels", "network", "locality", "weight",
          "serviceAccount")));

  private static final Map<String, Set<String>> NOT_SUPPORTED_YET = Map.ofEntries(
      Map.entry(SERVER, Set.of("defaultEndpoint")),
      // several certificates per server (credentialNames, tlsCertificates), certificate pinning and CRLs come later
      Map.entry(SERVER_TLS, Set.of("credentialNames", "tlsCertificates", "verifyCertificateSpki",
          "verifyCertificateHash", "caCrl")),
      Map.entry(VIRTUAL_SERVICE, Set.of("tcp")),
      // destinationSubnets, sourceLabels and sourceNamespace select sidecars or original destinations, not gateways
      Map.entry(TLS_MATCH, Set.of("destinationSubnets", "sourceLabels", "sourceNamespace")),
      Map.entry(CLIENT_TLS, Set.of("caCrl")),
      // sourceLabels and sourceNamespace select sidecars, which a gateway is not
      Map.entry(HTTP_MATCH, Set.of("sourceLabels", "sourceNamespace")),
      Map.entry(DELAY, Set.of("exponentialDelay")),
      Map.entry(ABORT, Set.of("http2Error")),
      Map.entry(DESTINATION_RULE, Set.of("workloadSelector")),
      // tunnel and proxyProtocol come with TCP
      Map.entry(TRAFFIC_POLICY, Set.of("tunnel", "proxyProtocol")),
      Map.entry(LOAD_BALANCER, Set.of("localityLbSetting", "warmupDurationSecs", "warmup")),
      Map.entry(HTTP_COOKIE, Set.of("attributes")),
      Map.entry(TCP_SETTINGS, Set.of("tcpKeepalive", "maxConnectionDuration")),
      Map.entry(HTTP_SETTINGS, Set.of("maxConcurrentStreams")),
      Map.entry(OUTLIER_DETECTION, Set.of("consecutiveLocalOriginFailures")),
      Map.entry(SERVICE_ENTRY, Set.of("workloadSelector")));

  /** Gateway server protocols Pylon serves; the others Istio knows come with later issues (TCP). */
  static final List<String> SERVER_PROTOCOLS = List.of("HTTP", "HTTP2", "GRPC", "HTTPS", "TLS");
  static final Set<String> SERVER_PROTOCOLS_NOT_SUPPORTED_YET =
      Set.of("TCP", "GRPC-WEB", "MONGO", "MYSQL", "REDIS", "UDP");

  /**
   * ServiceEntry resolutions Pylon implements. NONE has no original destination to pass to at a gateway: the control
   * plane resolves its hosts (or endpoints) by DNS, as for DNS.
   */
  static final List<String> RESOLUTIONS = List.of("STATIC", "DNS", "DNS_ROUND_ROBIN", "NONE");
  static final Set<String> RESOLUTIONS_NOT_SUPPORTED_YET = Set.of();

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
