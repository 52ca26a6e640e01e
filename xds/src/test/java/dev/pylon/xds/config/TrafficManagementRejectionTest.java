package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.testing.ConfigDir;
import dev.pylon.xds.translate.GatewayIdentity;
import dev.pylon.xds.translate.Translator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The exact message of each bad value of the traffic-management fields (issue #3), one field per message. */
class TrafficManagementRejectionTest {

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void baseConfig() {
    files = new ConfigDir(dir).write("base.yaml", ConfigDir.INGRESS_GATEWAY + """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews}
        spec: {ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}]
        """);
  }

  private static String virtualService(String rules) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews.example.com]
          gateways: [istio-system/gw]
          http:
        %s""".formatted(rules.indent(2));
  }

  private static String destinationRule(String spec) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ratings}
        spec:
          host: ratings
        %s""".formatted(spec.indent(2));
  }

  private static final String ROUTE = "\n  route: [{destination: {host: reviews}}]";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      redirect empty        | '- redirect: {redirectCode: 302}' | spec.http[0].redirect: one of uri, authority, scheme, port, derivePort is required
      redirect scheme       | '- redirect: {uri: /a, scheme: ftp}' | spec.http[0].redirect.scheme: unknown value "ftp" (http, https)
      redirect code         | '- redirect: {uri: /a, redirectCode: 399}' | spec.http[0].redirect.redirectCode: redirect code 399 not supported (301, 302, 303, 307, 308 are)
      redirect two ports    | '- redirect: {port: 8443, derivePort: FROM_REQUEST_PORT}' | spec.http[0].redirect.derivePort: only one of port, derivePort may be set
      redirect derivePort   | '- redirect: {derivePort: FROM_HEADER}' | spec.http[0].redirect.derivePort: unknown value "FROM_HEADER" (FROM_PROTOCOL_DEFAULT, FROM_REQUEST_PORT)
      redirect port         | '- redirect: {port: 70000}' | spec.http[0].redirect.port: port 70000 out of range 1..65535
      redirect and route    | '- redirect: {uri: /a}\\n  route: [{destination: {host: reviews}}]' | spec.http[0].route: not allowed with redirect
      redirect and fault    | '- redirect: {uri: /a}\\n  fault: {abort: {httpStatus: 500}}' | spec.http[0].fault: not allowed with redirect
      redirect and rewrite  | '- redirect: {uri: /a}\\n  rewrite: {uri: /b}' | spec.http[0].rewrite: not allowed with redirect
      redirect and direct   | '- redirect: {uri: /a}\\n  directResponse: {status: 200}' | spec.http[0].directResponse: not allowed with redirect
      direct status range   | '- directResponse: {status: 99}' | spec.http[0].directResponse.status: status 99 out of range 200..599
      direct no status      | '- directResponse: {body: {string: hi}}' | spec.http[0].directResponse.status: missing required field
      direct and route      | '- directResponse: {status: 200}\\n  route: [{destination: {host: reviews}}]' | spec.http[0].route: not allowed with directResponse
      direct and rewrite    | '- directResponse: {status: 200}\\n  rewrite: {uri: /b}' | spec.http[0].rewrite: not allowed with directResponse
      direct two bodies     | '- directResponse: {status: 200, body: {string: a, bytes: YQ==}}' | spec.http[0].directResponse.body.bytes: only one of string, bytes may be set
      direct bad base64     | '- directResponse: {status: 200, body: {bytes: "%%%"}}' | spec.http[0].directResponse.body.bytes: not base64
      rewrite empty         | '- rewrite: {}' | spec.http[0].rewrite: one of uri, uriRegexRewrite, authority is required
      rewrite uri and regex | '- rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}' | spec.http[0].rewrite.uriRegexRewrite: only one of uri, uriRegexRewrite may be set
      rewrite bad regex     | '- rewrite: {uriRegexRewrite: {match: "(a", rewrite: b}}' | spec.http[0].rewrite.uriRegexRewrite.match: invalid regex "(a": missing closing )
      rewrite no rewrite    | '- rewrite: {uriRegexRewrite: {match: a}}' | spec.http[0].rewrite.uriRegexRewrite.rewrite: missing required field
      authority twice       | '- rewrite: {authority: a.example}\\n  headers: {request: {set: {host: b.example}}}' | spec.http[0].rewrite.authority: the authority is also set in headers.request: set it in one place
      authority set+add     | '- headers: {request: {set: {host: a.example}, add: {":authority": b.example}}}' | spec.http[0].headers.request: the authority (host, :authority) is set more than once
      response host         | '- headers: {response: {set: {host: a.example}}}' | spec.http[0].headers.response.set.host: not a response header
      remove host           | '- headers: {request: {remove: [Host]}}' | spec.http[0].headers.request.remove[0]: the authority (host) cannot be removed
      pseudo header         | '- headers: {request: {set: {":path": /x}}}' | spec.http[0].headers.request.set.:path: pseudo-headers cannot be changed (use rewrite)
      header name           | '- headers: {request: {add: {"x y": "1"}}}' | spec.http[0].headers.request.add.x y: invalid header name "x y"
      header duplicate      | '- headers: {response: {set: {X-A: "1", x-a: "2"}}}' | spec.http[0].headers.response.set.x-a: duplicate header name (names are case-insensitive)
      headers unknown key   | '- headers: {request: {append: {x-a: "1"}}}' | spec.http[0].headers.request.append: unknown field
      weighted authority    | '- route:\\n  - {destination: {host: reviews}, weight: 1, headers: {request: {set: {host: a.example}}}}\\n  - {destination: {host: reviews, subset: v1}, weight: 1}' | spec.http[0].route[0].headers.request.set.host: an authority rewrite per weighted destination not supported yet (rewrite the authority on the rule)
      cors method           | '- corsPolicy: {allowMethods: [GET, FETCH]}' | spec.http[0].corsPolicy.allowMethods[1]: unknown value "FETCH" (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE, *)
      cors null method      | '- corsPolicy: {allowMethods: [GET, null]}' | spec.http[0].corsPolicy.allowMethods[1]: missing required field
      cors maxAge           | '- corsPolicy: {maxAge: 1.5s}' | spec.http[0].corsPolicy.maxAge: must be a whole number of seconds
      cors origin regex     | '- corsPolicy: {allowOrigins: [{regex: "[a"}]}' | spec.http[0].corsPolicy.allowOrigins[0].regex: invalid regex "[a": missing closing ]
      cors origin empty     | '- corsPolicy: {allowOrigins: [{exact: ""}]}' | spec.http[0].corsPolicy.allowOrigins[0].exact: must not be empty
      cors null origin      | '- corsPolicy: {allowOrigins: [null]}' | spec.http[0].corsPolicy.allowOrigins[0]: missing required field
      cors preflights       | '- corsPolicy: {unmatchedPreflights: DROP}' | spec.http[0].corsPolicy.unmatchedPreflights: unknown value "DROP" (UNSPECIFIED, FORWARD, IGNORE)
      cors header name      | '- corsPolicy: {exposeHeaders: ["x(y)"]}' | spec.http[0].corsPolicy.exposeHeaders[0]: invalid header name "x(y)"
      retries negative      | '- retries: {attempts: -1}' | spec.http[0].retries.attempts: must not be negative
      retries zero          | '- retries: {retryOn: 5xx}' | spec.http[0].retries.attempts: must be positive when perTryTimeout, retryOn or retryRemoteLocalities is set (0 disables retries)
      retries condition     | '- retries: {attempts: 2, retryOn: "5xx,connect-failures"}' | spec.http[0].retries.retryOn: unknown retry condition "connect-failures" (5xx, cancelled, connect-failure, deadline-exceeded, envoy-ratelimited, gateway-error, internal, refused-stream, reset, reset-before-request, resource-exhausted, retriable-4xx, retriable-status-codes, unavailable, or an HTTP status code)
      retries unknown code  | '- retries: {attempts: 2, retryOn: "599"}' | spec.http[0].retries.retryOn: unknown retry condition "599" (5xx, cancelled, connect-failure, deadline-exceeded, envoy-ratelimited, gateway-error, internal, refused-stream, reset, reset-before-request, resource-exhausted, retriable-4xx, retriable-status-codes, unavailable, or an HTTP status code)
      retries perTryTimeout | '- retries: {attempts: 2, perTryTimeout: fast}' | spec.http[0].retries.perTryTimeout: invalid duration "fast" (expected e.g. 10s, 1.5s, 250ms, 1m)
      retries tiny timeout  | '- retries: {attempts: 2, perTryTimeout: 0s}' | spec.http[0].retries.perTryTimeout: must be at least 1ms
      retries backoff       | '- retries: {attempts: 2, backoff: 10}' | spec.http[0].retries.backoff: invalid duration "10" (expected e.g. 10s, 1.5s, 250ms, 1m)
      fault empty           | '- fault: {}' | spec.http[0].fault: one of delay, abort is required
      fault no fixedDelay   | '- fault: {delay: {percentage: {value: 5}}}' | spec.http[0].fault.delay.fixedDelay: missing required field
      fault percentage      | '- fault: {abort: {httpStatus: 500, percentage: {value: 100.5}}}' | spec.http[0].fault.abort.percentage.value: must be between 0 and 100
      fault percent number  | '- fault: {delay: {fixedDelay: 1s, percentage: {value: lots}}}' | spec.http[0].fault.delay.percentage.value: expected a number
      fault two percents    | '- fault: {delay: {fixedDelay: 1s, percent: 5, percentage: {value: 5}}}' | spec.http[0].fault.delay.percent: only one of percentage, percent may be set
      fault legacy percent  | '- fault: {delay: {fixedDelay: 1s, percent: 101}}' | spec.http[0].fault.delay.percent: must be between 0 and 100
      fault http status     | '- fault: {abort: {httpStatus: 600}}' | spec.http[0].fault.abort.httpStatus: status 600 out of range 200..599
      fault grpc status     | '- fault: {abort: {grpcStatus: NOPE}}' | spec.http[0].fault.abort.grpcStatus: unknown value "NOPE" (OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED)
      fault two statuses    | '- fault: {abort: {httpStatus: 500, grpcStatus: INTERNAL}}' | spec.http[0].fault.abort.grpcStatus: only one of httpStatus, grpcStatus may be set
      fault no status       | '- fault: {abort: {percentage: {value: 5}}}' | spec.http[0].fault.abort: one of httpStatus, grpcStatus is required
      fault delay duration  | '- fault: {delay: {fixedDelay: 0s}}' | spec.http[0].fault.delay.fixedDelay: must be at least 1ms
      mirror and mirrors    | '- mirror: {host: reviews}\\n  mirrors: [{destination: {host: reviews}}]' | spec.http[0].mirrors: only one of mirror, mirrors may be set
      percentage no mirror  | '- mirrorPercentage: {value: 5}' | spec.http[0].mirrorPercentage: set without mirror
      two mirror percents   | '- mirror: {host: reviews}\\n  mirrorPercentage: {value: 5}\\n  mirrorPercent: 5' | spec.http[0].mirrorPercent: only one of mirrorPercentage, mirrorPercent, mirror_percent may be set
      mirror_percent range  | '- mirror: {host: reviews}\\n  mirror_percent: 150' | spec.http[0].mirror_percent: must be between 0 and 100
      mirrorPercentage range| '- mirror: {host: reviews}\\n  mirrorPercentage: {value: -1}' | spec.http[0].mirrorPercentage.value: must be between 0 and 100
      mirrors destination   | '- mirrors: [{percentage: {value: 5}}]' | spec.http[0].mirrors[0].destination: missing required field
      mirror subset         | '- mirror: {host: reviews, subset: v9}' | spec.http[0].mirror.subset: unknown subset "v9" for host reviews.default.svc.cluster.local (DestinationRule default/reviews defines v1)
      mirrors subset        | '- mirrors: [{destination: {host: reviews, subset: v9}}]' | spec.http[0].mirrors[0].destination.subset: unknown subset "v9" for host reviews.default.svc.cluster.local (DestinationRule default/reviews defines v1)
      mirror port           | '- mirror: {host: elsewhere.example.org}' | spec.http[0].mirror.port: required: host elsewhere.example.org is not a known service, so its port cannot be inferred
      match port            | '- match: [{port: 0}]' | spec.http[0].match[0].port: port 0 out of range 1..65535
      nothing to do         | '- timeout: 1s' | spec.http[0].route: missing required field
      timeout               | '- timeout: soon' | spec.http[0].timeout: invalid duration "soon" (expected e.g. 10s, 1.5s, 250ms, 1m)
      """)
  void badHttpRuleField_isRejectedWithItsPath(String name, String rules, String expected) throws IOException {
    String rule = rules.replace("\\n", "\n");
    boolean needsRoute = !rule.contains("route:") && !rule.contains("redirect:") && !rule.contains("directResponse:")
        && !name.equals("nothing to do");
    files.write("reviews.yaml", virtualService(rule + (needsRoute ? ROUTE : "") + "\n"));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService default/reviews (reviews.yaml:1): " + expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      empty policy          | 'trafficPolicy: {}' | spec.trafficPolicy: one of loadBalancer, connectionPool, outlierDetection, portLevelSettings, tls is required
      passthrough           | 'trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}' | spec.trafficPolicy.loadBalancer.simple: PASSTHROUGH not supported (a gateway has no original destination to pass to)
      unknown simple        | 'trafficPolicy: {loadBalancer: {simple: WEIGHTED}}' | spec.trafficPolicy.loadBalancer.simple: unknown value "WEIGHTED" (UNSPECIFIED, ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM, PASSTHROUGH)
      simple and hash       | 'trafficPolicy: {loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}}' | spec.trafficPolicy.loadBalancer.consistentHash: only one of simple, consistentHash may be set
      hash without key      | 'trafficPolicy: {loadBalancer: {consistentHash: {minimumRingSize: 10}}}' | spec.trafficPolicy.loadBalancer.consistentHash: one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName is required
      hash two keys         | 'trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, useSourceIp: true}}}' | spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp: only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName may be set
      source ip false       | 'trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: false}}}' | spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp: must be true (false gives no hash key)
      cookie name           | 'trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {ttl: 1h}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: missing required field
      cookie ttl            | 'trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: forever}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl: invalid duration "forever" (expected e.g. 10s, 1.5s, 250ms, 1m)
      maglev not prime      | 'trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65536}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: 65536 is not a prime number
      maglev too large      | 'trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 5000011}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: must be between 1 and 5000010
      maglev no size        | 'trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: missing required field
      two tables            | 'trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {}, maglev: {tableSize: 7}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.maglev: only one of minimumRingSize, ringHash, maglev may be set
      ring too large        | 'trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 8388609}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize: must be between 0 and 8388608
      empty pool            | 'trafficPolicy: {connectionPool: {}}' | spec.trafficPolicy.connectionPool: one of tcp, http is required
      negative connections  | 'trafficPolicy: {connectionPool: {tcp: {maxConnections: -1}}}' | spec.trafficPolicy.connectionPool.tcp.maxConnections: must not be negative
      connect timeout       | 'trafficPolicy: {connectionPool: {tcp: {connectTimeout: 1 second}}}' | spec.trafficPolicy.connectionPool.tcp.connectTimeout: invalid duration "1 second" (expected e.g. 10s, 1.5s, 250ms, 1m)
      tcp idle timeout      | 'trafficPolicy: {connectionPool: {tcp: {idleTimeout: 500us}}}' | spec.trafficPolicy.connectionPool.tcp.idleTimeout: must be 0s (no timeout) or at least 1ms
      http idle timeout     | 'trafficPolicy: {connectionPool: {http: {idleTimeout: 0s}}}' | spec.trafficPolicy.connectionPool.http.idleTimeout: must be at least 1ms
      negative pending      | 'trafficPolicy: {connectionPool: {http: {http1MaxPendingRequests: -5}}}' | spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: must not be negative
      integer limit         | 'trafficPolicy: {connectionPool: {http: {maxRetries: 2.5}}}' | spec.trafficPolicy.connectionPool.http.maxRetries: expected an integer
      upgrade policy        | 'trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: ALWAYS}}}' | spec.trafficPolicy.connectionPool.http.h2UpgradePolicy: unknown value "ALWAYS" (DEFAULT, DO_NOT_UPGRADE, UPGRADE)
      upgrade and client    | 'trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}}' | spec.trafficPolicy.connectionPool.http.useClientProtocol: must not be true with h2UpgradePolicy UPGRADE
      ejection percent      | 'trafficPolicy: {outlierDetection: {maxEjectionPercent: 120}}' | spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be between 0 and 100
      health percent        | 'trafficPolicy: {outlierDetection: {minHealthPercent: -1}}' | spec.trafficPolicy.outlierDetection.minHealthPercent: must be between 0 and 100
      interval              | 'trafficPolicy: {outlierDetection: {interval: 0s}}' | spec.trafficPolicy.outlierDetection.interval: must be at least 1ms
      negative errors       | 'trafficPolicy: {outlierDetection: {consecutive5xxErrors: -1}}' | spec.trafficPolicy.outlierDetection.consecutive5xxErrors: must not be negative
      split errors          | 'trafficPolicy: {outlierDetection: {splitExternalLocalOriginErrors: true}}' | spec.trafficPolicy.outlierDetection.splitExternalLocalOriginErrors: true not supported yet
      port without port     | 'trafficPolicy: {portLevelSettings: [{loadBalancer: {simple: RANDOM}}]}' | spec.trafficPolicy.portLevelSettings[0].port: missing required field
      port twice            | 'trafficPolicy: {portLevelSettings: [{port: {number: 80}, loadBalancer: {simple: RANDOM}}, {port: {number: 80}, loadBalancer: {simple: RANDOM}}]}' | spec.trafficPolicy.portLevelSettings[1].port.number: duplicate port 80
      port nothing else     | 'trafficPolicy: {portLevelSettings: [{port: {number: 80}}]}' | spec.trafficPolicy.portLevelSettings[0]: one of loadBalancer, connectionPool, outlierDetection, tls is required
      subset policy         | 'subsets: [{name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: STICKY}}}]' | spec.subsets[0].trafficPolicy.loadBalancer.simple: unknown value "STICKY" (UNSPECIFIED, ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM, PASSTHROUGH)
      tls caCrl             | 'trafficPolicy: {tls: {mode: SIMPLE, caCrl: /etc/crl.pem}}' | spec.trafficPolicy.tls.caCrl: not supported yet
      port tls mode         | 'trafficPolicy: {portLevelSettings: [{port: {number: 443}, tls: {mode: STRICT}}]}' | spec.trafficPolicy.portLevelSettings[0].tls.mode: unknown value "STRICT" (DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL)
      tunnel                | 'trafficPolicy: {tunnel: {targetHost: a, targetPort: 80}}' | spec.trafficPolicy.tunnel: not supported yet
      proxyProtocol         | 'trafficPolicy: {proxyProtocol: {version: V1}}' | spec.trafficPolicy.proxyProtocol: not supported yet
      localityLbSetting     | 'trafficPolicy: {loadBalancer: {localityLbSetting: {enabled: false}}}' | spec.trafficPolicy.loadBalancer.localityLbSetting: not supported yet
      warmupDurationSecs    | 'trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmupDurationSecs: 60s}}' | spec.trafficPolicy.loadBalancer.warmupDurationSecs: not supported yet
      warmup                | 'trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 60s}}}' | spec.trafficPolicy.loadBalancer.warmup: not supported yet
      tcpKeepalive          | 'trafficPolicy: {connectionPool: {tcp: {tcpKeepalive: {time: 7200s}}}}' | spec.trafficPolicy.connectionPool.tcp.tcpKeepalive: not supported yet
      maxConnectionDuration | 'trafficPolicy: {connectionPool: {tcp: {maxConnectionDuration: 1h}}}' | spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration: not supported yet
      maxConcurrentStreams  | 'trafficPolicy: {connectionPool: {http: {maxConcurrentStreams: 100}}}' | spec.trafficPolicy.connectionPool.http.maxConcurrentStreams: not supported yet
      local origin failures | 'trafficPolicy: {outlierDetection: {consecutiveLocalOriginFailures: 5}}' | spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: not supported yet
      cookie attributes     | 'trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: s, attributes: [{name: SameSite, value: Strict}]}}}}' | spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes: not supported yet
      """)
  void badTrafficPolicyField_isRejectedWithItsPath(String name, String spec, String expected) throws IOException {
    files.write("ratings.yaml", destinationRule(spec + "\n"));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "DestinationRule default/ratings (ratings.yaml:1): " + expected);
  }

  @Test
  void badPolicyEdit_keepsThePreviousPolicyInForce() throws IOException {
    files.write("ratings.yaml", destinationRule("trafficPolicy: {loadBalancer: {simple: RANDOM}}\n"));
    ConfigSnapshot good = ConfigLoader.load(dir);

    files.write("ratings.yaml", destinationRule("trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}\n"));
    ConfigSnapshot afterBadEdit = ConfigLoader.load(dir, good);

    assertThat(afterBadEdit.rejectionMessages()).singleElement().asString().contains("PASSTHROUGH not supported");
    assertThat(afterBadEdit.destinationRules()).isEqualTo(good.destinationRules());
    GatewayIdentity ingress = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");
    assertThat(Translator.translate(afterBadEdit, ingress).version())
        .isEqualTo(Translator.translate(good, ingress).version());
  }

  @Test
  void validPolicies_areAccepted() throws IOException {
    files.write("ratings.yaml", destinationRule("""
        trafficPolicy:
          loadBalancer: {simple: UNSPECIFIED}
          connectionPool:
            tcp: {maxConnections: 0, connectTimeout: 1s, idleTimeout: 0s}
            http: {h2UpgradePolicy: DEFAULT, useClientProtocol: false}
          outlierDetection: {consecutive5xxErrors: 0, splitExternalLocalOriginErrors: false}
          portLevelSettings:
          - port: {number: 9080}
            loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: 0s}}}
        subsets:
        - name: v1
          labels: {version: v1}
          trafficPolicy: {loadBalancer: {consistentHash: {httpQueryParameterName: u, maglev: {tableSize: 2}}}}
        """));
    files.write("reviews.yaml", virtualService("""
        - match: [{uri: {prefix: /a}, port: 8080, statPrefix: a}]
          mirror: {host: reviews, subset: v1}
          mirror_percent: 0
          retries: {attempts: 0}
          fault: {abort: {grpcStatus: OK}}
          corsPolicy: {allowOrigins: [{prefix: "https://"}], allowMethods: ["*"], maxAge: 1m}
          headers: {request: {add: {":authority": a.example}}}
          route: [{destination: {host: reviews, subset: v1}}]
        - directResponse: {status: 599, body: {string: ""}}
        """));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).isEmpty();
  }
}
