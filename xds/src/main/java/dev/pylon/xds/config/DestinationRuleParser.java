package dev.pylon.xds.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads a {@code DestinationRule} document: subsets and traffic policies, with Istio's validation rules. */
final class DestinationRuleParser {

  private static final List<String> HASH_KEYS =
      List.of("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName");
  private static final List<String> HASH_TABLES = List.of("minimumRingSize", "ringHash", "maglev");
  /** Envoy's largest ring ({@code RingHashLbConfig.minimum_ring_size} lte 8M). */
  private static final long MAX_RING_SIZE = 8_388_608;
  /** Envoy's bound for a Maglev table ({@code MaglevLbConfig.table_size} lte 5000011). */
  private static final long MAX_MAGLEV_TABLE = 5_000_011;

  private DestinationRuleParser() {}

  static DestinationRule parse(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(FieldSupport.DESTINATION_RULE);
    String host = HostNames.qualify(spec.get("host").requiredString().toLowerCase(Locale.ROOT), meta.namespace());
    DestinationRule.TrafficPolicy policy = trafficPolicy(spec.get("trafficPolicy"));
    List<DestinationRule.Subset> subsets = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Field subset : spec.get("subsets").list()) {
      subset.checkKeys(FieldSupport.SUBSET);
      Field nameField = subset.get("name");
      String name = nameField.requiredString();
      if (!names.add(name)) {
        throw nameField.error("duplicate subset \"" + name + "\"");
      }
      subsets.add(new DestinationRule.Subset(name, subset.get("labels").stringMap(),
          trafficPolicy(subset.get("trafficPolicy"))));
    }
    return new DestinationRule(meta, host, subsets, spec.get("exportTo").stringList(), policy);
  }

  private static DestinationRule.TrafficPolicy trafficPolicy(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(FieldSupport.TRAFFIC_POLICY);
    DestinationRule.LoadBalancer loadBalancer = loadBalancer(field.get("loadBalancer"));
    DestinationRule.ConnectionPool connectionPool = connectionPool(field.get("connectionPool"));
    DestinationRule.OutlierDetection outlierDetection = outlierDetection(field.get("outlierDetection"));
    List<DestinationRule.PortTrafficPolicy> ports = new ArrayList<>();
    Set<Integer> numbers = new HashSet<>();
    for (Field settings : field.get("portLevelSettings").list()) {
      settings.checkKeys(FieldSupport.PORT_TRAFFIC_POLICY);
      Field portField = settings.get("port").required().checkKeys(FieldSupport.PORT_SELECTOR);
      Field numberField = portField.get("number");
      int port = numberField.requiredPort();
      if (!numbers.add(port)) {
        throw numberField.error("duplicate port " + port);
      }
      DestinationRule.PortTrafficPolicy portPolicy = new DestinationRule.PortTrafficPolicy(port,
          loadBalancer(settings.get("loadBalancer")), connectionPool(settings.get("connectionPool")),
          outlierDetection(settings.get("outlierDetection")), clientTls(settings.get("tls")));
      if (portPolicy.loadBalancer() == null && portPolicy.connectionPool() == null
          && portPolicy.outlierDetection() == null && portPolicy.tls() == null) {
        throw settings.error("one of loadBalancer, connectionPool, outlierDetection, tls is required");
      }
      ports.add(portPolicy);
    }
    DestinationRule.ClientTls tls = clientTls(field.get("tls"));
    if (loadBalancer == null && connectionPool == null && outlierDetection == null && ports.isEmpty()
        && tls == null) {
      throw field.error("one of loadBalancer, connectionPool, outlierDetection, portLevelSettings, tls is required");
    }
    return new DestinationRule.TrafficPolicy(loadBalancer, connectionPool, outlierDetection, ports, tls);
  }

  // ---- tls ----

  private static final List<String> TLS_MODES = List.of("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL");

  private static DestinationRule.ClientTls clientTls(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(FieldSupport.CLIENT_TLS);
    DestinationRule.TlsMode mode = DestinationRule.TlsMode.valueOf(field.get("mode").oneOf("DISABLE", TLS_MODES));
    Field certField = field.get("clientCertificate");
    Field keyField = field.get("privateKey");
    Field caField = field.get("caCertificates");
    Field credentialField = field.get("credentialName");
    Field skipField = field.get("insecureSkipVerify");
    String clientCertificate = TlsFields.path(certField);
    String privateKey = TlsFields.path(keyField);
    String caCertificates = TlsFields.path(caField);
    String credentialName = TlsFields.credentialName(credentialField);
    List<String> sans = TlsFields.subjectAltNames(field.get("subjectAltNames"));
    String sni = TlsFields.optional(field.get("sni"));
    boolean insecureSkipVerify = skipField.bool(false);
    switch (mode) {
      case DISABLE -> {
        // istiod ignores the other fields
      }
      case ISTIO_MUTUAL -> {
        for (Field f : List.of(credentialField, certField, keyField, caField)) {
          if (f.present()) {
            throw TlsFields.notAllowed(f, "with ISTIO_MUTUAL (it presents the mesh certificate and verifies against "
                + "the mesh root)");
          }
        }
        if (insecureSkipVerify) {
          throw TlsFields.notAllowed(skipField, "with ISTIO_MUTUAL (the server's mesh identity is always verified)");
        }
      }
      case SIMPLE, MUTUAL -> {
        if (credentialName != null) {
          for (Field f : List.of(certField, keyField, caField)) {
            if (f.present()) {
              throw f.error("only one of credentialName, clientCertificate/privateKey/caCertificates may be set");
            }
          }
        } else if (mode == DestinationRule.TlsMode.MUTUAL) {
          if (clientCertificate == null) {
            throw certField.error("required for MUTUAL without credentialName");
          }
          if (privateKey == null) {
            throw keyField.error("required for MUTUAL without credentialName");
          }
        }
        if (mode == DestinationRule.TlsMode.SIMPLE) {
          for (Field f : List.of(certField, keyField)) {
            if (f.present()) {
              throw TlsFields.notAllowed(f, "with SIMPLE (a client certificate is only presented with MUTUAL)");
            }
          }
        }
      }
    }
    return new DestinationRule.ClientTls(mode, clientCertificate, privateKey, caCertificates, credentialName, sans,
        sni, insecureSkipVerify);
  }

  // ---- loadBalancer ----

  private static DestinationRule.LoadBalancer loadBalancer(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(FieldSupport.LOAD_BALANCER);
    Field simpleField = field.get("simple");
    Field hashField = field.get("consistentHash");
    if (simpleField.present() && hashField.present()) {
      throw hashField.error("only one of simple, consistentHash may be set");
    }
    DestinationRule.Simple simple = null;
    if (simpleField.present()) {
      String value = simpleField.string();
      if (value.equals("PASSTHROUGH")) {
        throw simpleField.error("PASSTHROUGH not supported (a gateway has no original destination to pass to)");
      }
      value = simpleField.oneOf(null, List.of("UNSPECIFIED", "ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN", "RANDOM",
          "PASSTHROUGH"));
      simple = value.equals("UNSPECIFIED") ? null : DestinationRule.Simple.valueOf(value);
    }
    return new DestinationRule.LoadBalancer(simple, hashField.present() ? consistentHash(hashField) : null);
  }

  private static DestinationRule.ConsistentHash consistentHash(Field field) {
    field.checkKeys(FieldSupport.CONSISTENT_HASH);
    List<String> keys = HASH_KEYS.stream().filter(key -> field.get(key).present()).toList();
    if (keys.isEmpty()) {
      throw field.error("one of " + String.join(", ", HASH_KEYS) + " is required");
    }
    if (keys.size() > 1) {
      throw field.get(keys.get(1)).error("only one of " + String.join(", ", HASH_KEYS) + " may be set");
    }
    String header = null;
    Field headerField = field.get("httpHeaderName");
    if (headerField.present()) {
      header = headerField.requiredString().toLowerCase(Locale.ROOT);
    }
    DestinationRule.HttpCookie cookie = null;
    Field cookieField = field.get("httpCookie");
    if (cookieField.present()) {
      cookieField.checkKeys(FieldSupport.HTTP_COOKIE);
      String path = cookieField.get("path").string();
      // ttl 0s is meaningful: Envoy then generates a session cookie
      cookie = new DestinationRule.HttpCookie(cookieField.get("name").requiredString(),
          path == null || path.isEmpty() ? null : path, cookieField.get("ttl").duration());
    }
    Field sourceIpField = field.get("useSourceIp");
    boolean sourceIp = sourceIpField.bool(false);
    if (sourceIpField.present() && !sourceIp) {
      throw sourceIpField.error("must be true (false gives no hash key)");
    }
    String query = null;
    Field queryField = field.get("httpQueryParameterName");
    if (queryField.present()) {
      query = queryField.requiredString();
    }

    List<String> tables = HASH_TABLES.stream().filter(key -> field.get(key).present()).toList();
    if (tables.size() > 1) {
      throw field.get(tables.get(1)).error("only one of " + String.join(", ", HASH_TABLES) + " may be set");
    }
    DestinationRule.Algorithm algorithm = DestinationRule.Algorithm.DEFAULT;
    long minimumRingSize = 0;
    long tableSize = 0;
    if (field.get("minimumRingSize").present()) {
      minimumRingSize = ringSize(field.get("minimumRingSize"));
    } else if (field.get("ringHash").present()) {
      Field ring = field.get("ringHash").checkKeys(FieldSupport.RING_HASH);
      algorithm = DestinationRule.Algorithm.RING_HASH;
      minimumRingSize = ringSize(ring.get("minimumRingSize"));
    } else if (field.get("maglev").present()) {
      Field maglev = field.get("maglev").checkKeys(FieldSupport.MAGLEV);
      algorithm = DestinationRule.Algorithm.MAGLEV;
      Field sizeField = maglev.get("tableSize");
      tableSize = sizeField.required().longInteger(0);
      if (tableSize <= 0 || tableSize >= MAX_MAGLEV_TABLE) {
        throw sizeField.error("must be between 1 and " + (MAX_MAGLEV_TABLE - 1));
      }
      if (!isPrime(tableSize)) {
        throw sizeField.error(tableSize + " is not a prime number");
      }
    }
    return new DestinationRule.ConsistentHash(header, cookie, sourceIp, query, algorithm, minimumRingSize,
        tableSize);
  }

  private static long ringSize(Field field) {
    long size = field.longInteger(0);
    if (size < 0 || size > MAX_RING_SIZE) {
      throw field.error("must be between 0 and " + MAX_RING_SIZE);
    }
    return size;
  }

  private static boolean isPrime(long value) {
    if (value < 2) {
      return false;
    }
    for (long factor = 2; factor * factor <= value; factor++) {
      if (value % factor == 0) {
        return false;
      }
    }
    return true;
  }

  // ---- connectionPool ----

  private static DestinationRule.ConnectionPool connectionPool(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(FieldSupport.CONNECTION_POOL);
    Field tcpField = field.get("tcp");
    Field httpField = field.get("http");
    if (!tcpField.present() && !httpField.present()) {
      throw field.error("one of tcp, http is required");
    }
    DestinationRule.Tcp tcp = null;
    if (tcpField.present()) {
      tcpField.checkKeys(FieldSupport.TCP_SETTINGS);
      Field idleField = tcpField.get("idleTimeout");
      Duration idle = idleField.duration();
      if (idle != null && !idle.isZero() && idle.compareTo(Duration.ofMillis(1)) < 0) {
        throw idleField.error("must be 0s (no timeout) or at least 1ms");
      }
      tcp = new DestinationRule.Tcp(tcpField.get("maxConnections").nonNegative(),
          tcpField.get("connectTimeout").positiveDuration(), idle);
    }
    DestinationRule.Http http = null;
    if (httpField.present()) {
      httpField.checkKeys(FieldSupport.HTTP_SETTINGS);
      String upgrade = httpField.get("h2UpgradePolicy").oneOf("DEFAULT",
          List.of("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"));
      Field clientProtocolField = httpField.get("useClientProtocol");
      boolean useClientProtocol = clientProtocolField.bool(false);
      if (useClientProtocol && upgrade.equals("UPGRADE")) {
        throw clientProtocolField.error("must not be true with h2UpgradePolicy UPGRADE");
      }
      http = new DestinationRule.Http(
          httpField.get("http1MaxPendingRequests").nonNegative(),
          httpField.get("http2MaxRequests").nonNegative(),
          httpField.get("maxRequestsPerConnection").nonNegative(),
          httpField.get("maxRetries").nonNegative(),
          httpField.get("idleTimeout").positiveDuration(),
          DestinationRule.H2UpgradePolicy.valueOf(upgrade),
          useClientProtocol);
    }
    return new DestinationRule.ConnectionPool(tcp, http);
  }

  // ---- outlierDetection ----

  private static DestinationRule.OutlierDetection outlierDetection(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(FieldSupport.OUTLIER_DETECTION);
    Field splitField = field.get("splitExternalLocalOriginErrors");
    if (splitField.bool(false)) {
      throw splitField.error("true not supported yet");
    }
    Field fiveField = field.get("consecutive5xxErrors");
    Field gatewayField = field.get("consecutiveGatewayErrors");
    return new DestinationRule.OutlierDetection(
        field.get("consecutiveErrors").nonNegative(),
        fiveField.present() ? fiveField.nonNegative() : null,
        gatewayField.present() ? gatewayField.nonNegative() : null,
        field.get("interval").positiveDuration(),
        field.get("baseEjectionTime").positiveDuration(),
        percent(field.get("maxEjectionPercent")),
        percent(field.get("minHealthPercent")));
  }

  private static int percent(Field field) {
    int value = field.integer(0);
    if (value < 0 || value > 100) {
      throw field.error("must be between 0 and 100");
    }
    return value;
  }
}
