package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.testing.ConfigDir;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The TLS fields of Gateways ({@code servers[].tls}), VirtualServices ({@code tls} routes) and DestinationRules
 * ({@code trafficPolicy.tls}): each bad shape with its exact message, and the shapes Istio accepts.
 */
class TlsConfigRejectionTest {

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void setUp() {
    files = new ConfigDir(dir);
  }

  private String load() throws IOException {
    return String.join("\n", ConfigLoader.load(dir).rejectionMessages());
  }

  /** A Gateway with one server on 443: {@code protocol} and {@code tls} (a flow mapping, or empty for none). */
  private static String gateway(String protocol, String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingress}
          servers:
          - port: {number: 443, name: https, protocol: %s}
            hosts: ["*.example.com"]
        %s""".formatted(protocol, tls.isEmpty() ? "" : "    tls: " + tls + "\n");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      no tls on HTTPS         | HTTPS | ''                                                                | spec.servers[0].tls: missing required field
      unknown mode            | HTTPS | '{mode: STRICT}'                                                  | spec.servers[0].tls.mode: unknown value "STRICT" (PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL)
      auto passthrough        | TLS   | '{mode: AUTO_PASSTHROUGH}'                                        | spec.servers[0].tls.mode: AUTO_PASSTHROUGH not supported yet (it routes mesh mTLS by cluster SNI, for multi-network meshes)
      terminating TLS server  | TLS   | '{mode: SIMPLE, credentialName: c}'                               | spec.servers[0].tls.mode: SIMPLE on a TLS server not supported yet (terminated TLS goes to VirtualService tcp routes, not supported yet): use protocol HTTPS, or mode PASSTHROUGH
      no credential           | HTTPS | '{mode: SIMPLE}'                                                  | spec.servers[0].tls: SIMPLE requires credentialName, or serverCertificate and privateKey
      key without cert        | HTTPS | '{mode: SIMPLE, privateKey: /k.pem}'                              | spec.servers[0].tls.serverCertificate: required with privateKey
      cert without key        | HTTPS | '{mode: SIMPLE, serverCertificate: /c.pem}'                       | spec.servers[0].tls.privateKey: required with serverCertificate
      two sources             | HTTPS | '{mode: SIMPLE, credentialName: c, serverCertificate: /c.pem}'    | spec.servers[0].tls.serverCertificate: only one of credentialName, serverCertificate/privateKey may be set
      ca with credential      | HTTPS | '{mode: MUTUAL, credentialName: c, caCertificates: /ca.pem}'      | spec.servers[0].tls.caCertificates: not allowed with credentialName (the client CA is the Secret's ca.crt, or the Secret c-cacert)
      mutual files without ca | HTTPS | '{mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}'   | spec.servers[0].tls.caCertificates: required for MUTUAL without credentialName (the CA client certificates must chain to)
      optional without ca     | HTTPS | '{mode: OPTIONAL_MUTUAL, serverCertificate: /c, privateKey: /k}'  | spec.servers[0].tls.caCertificates: required for OPTIONAL_MUTUAL without credentialName (the CA client certificates must chain to)
      sans on simple          | HTTPS | '{mode: SIMPLE, credentialName: c, subjectAltNames: [a]}'         | spec.servers[0].tls.subjectAltNames: client certificates are only checked with MUTUAL, OPTIONAL_MUTUAL and ISTIO_MUTUAL (SIMPLE does not ask for one)
      empty san               | HTTPS | '{mode: MUTUAL, credentialName: c, subjectAltNames: [""]}'        | spec.servers[0].tls.subjectAltNames[0]: must not be empty
      istio mutual cert       | HTTPS | '{mode: ISTIO_MUTUAL, credentialName: c}'                         | spec.servers[0].tls.credentialName: not allowed with ISTIO_MUTUAL (the server presents the mesh certificate and checks clients against the mesh root)
      bad version             | HTTPS | '{mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_4}'  | spec.servers[0].tls.minProtocolVersion: unknown value "TLSV1_4" (TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3)
      version order           | HTTPS | '{mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_2}' | spec.servers[0].tls.maxProtocolVersion: TLSV1_2 is below minProtocolVersion TLSV1_3
      unknown cipher          | HTTPS | '{mode: SIMPLE, credentialName: c, cipherSuites: [TLS_AES_128_GCM_SHA256]}' | spec.servers[0].tls.cipherSuites[0]: unknown cipher suite "TLS_AES_128_GCM_SHA256" (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES256-GCM-SHA384, ECDHE-ECDSA-CHACHA20-POLY1305, ECDHE-RSA-CHACHA20-POLY1305, ECDHE-ECDSA-AES128-SHA, ECDHE-RSA-AES128-SHA, ECDHE-ECDSA-AES256-SHA, ECDHE-RSA-AES256-SHA, AES128-GCM-SHA256, AES256-GCM-SHA384, AES128-SHA, AES256-SHA, DES-CBC3-SHA)
      cross-namespace secret  | HTTPS | '{mode: SIMPLE, credentialName: other/c}'                         | spec.servers[0].tls.credentialName: "other/c" is not a Secret name (Secrets of other namespaces not supported yet: the Secret must be in the gateway workload's namespace)
      several credentials     | HTTPS | '{mode: SIMPLE, credentialNames: [a, b]}'                         | spec.servers[0].tls.credentialNames: not supported yet
      crl                     | HTTPS | '{mode: MUTUAL, credentialName: c, caCrl: /crl.pem}'              | spec.servers[0].tls.caCrl: not supported yet
      tls settings on HTTP    | HTTP  | '{mode: SIMPLE, credentialName: c}'                               | spec.servers[0].tls.mode: not allowed on a HTTP server (only httpsRedirect is; TLS settings need protocol HTTPS or TLS)
      typo                    | HTTPS | '{mode: SIMPLE, credentialNme: c}'                                | spec.servers[0].tls.credentialNme: unknown field
      """)
  void badServerTls_isRejectedWithItsPath(String name, String protocol, String tls, String expected)
      throws IOException {
    files.write("gw.yaml", gateway(protocol, tls));
    assertThat(load()).isEqualTo("Gateway istio-system/gw (gw.yaml:1): " + expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      simple credential    | HTTPS | '{mode: SIMPLE, credentialName: shop-cert, minProtocolVersion: TLSV1_2, cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256]}'
      mutual credential    | HTTPS | '{mode: MUTUAL, credentialName: shop-cert, subjectAltNames: [client.example.com]}'
      optional mutual      | HTTPS | '{mode: OPTIONAL_MUTUAL, credentialName: shop-cert}'
      istio mutual         | HTTPS | '{mode: ISTIO_MUTUAL, subjectAltNames: ["spiffe://cluster.local/ns/a/sa/b"]}'
      passthrough          | TLS   | '{mode: PASSTHROUGH}'
      https passthrough    | HTTPS | '{mode: PASSTHROUGH}'
      default passthrough  | TLS   | '{}'
      https redirect       | HTTP  | '{httpsRedirect: true}'
      """)
  void goodServerTls_isAccepted(String name, String protocol, String tls) throws IOException {
    files.write("gw.yaml", gateway(protocol, tls));
    assertThat(load()).isEmpty();
  }

  @Test
  void duplicateCipherSuites_areDroppedAsIstiodDrops() throws IOException {
    files.write("gw.yaml", gateway("HTTPS", "{mode: SIMPLE, credentialName: c, cipherSuites: [AES128-SHA, "
        + "AES256-SHA, AES128-SHA]}"));
    assertThat(ConfigLoader.load(dir).gateways().get(0).servers().get(0).tls().cipherSuites())
        .containsExactly("AES128-SHA", "AES256-SHA");
  }

  @Test
  void onePort_isEitherPlaintextOrTls_andTerminationDoesNotMixWithPassthrough() throws IOException {
    String servers = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          servers:
          - port: {number: 443, name: a, protocol: HTTPS}
            hosts: [a.example.com]
            tls: {mode: SIMPLE, credentialName: a}
          - port: {number: 443, name: b, protocol: %s}
            hosts: [b.example.com]
        %s""";
    files.write("gw.yaml", servers.formatted("HTTP", ""));
    assertThat(load()).isEqualTo("Gateway istio-system/gw (gw.yaml:1): spec.servers[1].port.protocol: HTTP on port "
        + "443, where spec.servers[0] is HTTPS: a port serves either plaintext HTTP or TLS");

    files.write("gw.yaml", servers.formatted("TLS", "    tls: {mode: PASSTHROUGH}\n"));
    assertThat(load()).isEqualTo("Gateway istio-system/gw (gw.yaml:1): spec.servers[1].tls.mode: TLS termination and "
        + "passthrough on one port (443, spec.servers[0]) not supported yet");

    files.write("gw.yaml", servers.formatted("HTTPS", "    tls: {mode: SIMPLE, credentialName: b}\n")
        .replace("name: b,", "name: a,"));
    assertThat(load()).isEqualTo("Gateway istio-system/gw (gw.yaml:1): spec.servers[1].port.name: duplicate port "
        + "name \"a\" on port 443 (spec.servers[0]): the name identifies the server's route configuration");

    files.write("gw.yaml", servers.formatted("HTTPS", "    tls: {mode: MUTUAL, credentialName: b}\n"));
    assertThat(load()).isEmpty();
  }

  /** A VirtualService for *.example.com whose {@code tls} rules are {@code rules}. */
  private static String tlsVirtualService(String rules) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: passthrough, namespace: istio-system}
        spec:
          hosts: ["*.example.com"]
          gateways: [gw]
          tls:
        %s""".formatted(rules.indent(2));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      no match           | '- route: [{destination: {host: a.example.com, port: {number: 443}}}]'                                       | spec.tls[0].match: missing required field
      no sni             | '- match: [{port: 443}]\\n  route: [{destination: {host: a.example.com, port: {number: 443}}}]'              | spec.tls[0].match[0].sniHosts: missing required field
      sni outside hosts  | '- match: [{sniHosts: [a.example.org]}]\\n  route: [{destination: {host: a.example.com, port: {number: 443}}}]' | spec.tls[0].match[0].sniHosts[0]: "a.example.org" is not within the VirtualService hosts (*.example.com)
      bad sni            | '- match: [{sniHosts: ["a.*.example.com"]}]\\n  route: [{destination: {host: a.example.com, port: {number: 443}}}]' | spec.tls[0].match[0].sniHosts[0]: invalid SNI host "a.*.example.com" (a DNS name, optionally starting with *.)
      no route           | '- match: [{sniHosts: [a.example.com]}]'                                                                      | spec.tls[0].route: missing required field
      headers            | '- match: [{sniHosts: [a.example.com]}]\\n  route: [{destination: {host: a.example.com, port: {number: 443}}, headers: {}}]' | spec.tls[0].route[0].headers: unknown field
      zero weights       | '- match: [{sniHosts: [a.example.com]}]\\n  route: [{destination: {host: a.example.com, port: {number: 443}}}, {destination: {host: b.example.com, port: {number: 443}}}]' | spec.tls[0].route: the weights of several destinations must not all be 0
      subnets            | '- match: [{sniHosts: [a.example.com], destinationSubnets: [10.0.0.0/8]}]\\n  route: [{destination: {host: a.example.com, port: {number: 443}}}]' | spec.tls[0].match[0].destinationSubnets: not supported yet
      port unknown       | '- match: [{sniHosts: [a.example.com]}]\\n  route: [{destination: {host: a.example.com}}]'                   | spec.tls[0].route[0].destination.port: required: host a.example.com is not a known service, so its port cannot be inferred
      """)
  void badTlsRoute_isRejectedWithItsPath(String name, String rules, String expected) throws IOException {
    files.write("vs.yaml", tlsVirtualService(rules.replace("\\n", "\n")));
    assertThat(load()).isEqualTo("VirtualService istio-system/passthrough (vs.yaml:1): " + expected);
  }

  @Test
  void tlsRoutes_areParsed_andAVirtualServiceMayHaveNoHttpRules() throws IOException {
    files.write("vs.yaml", tlsVirtualService("""
        - match: [{sniHosts: [a.example.com, "*.b.example.com"], port: 443, gateways: [istio-system/gw]}]
          route:
          - {destination: {host: a.internal, port: {number: 8443}}, weight: 80}
          - {destination: {host: b.internal, port: {number: 8443}}, weight: 20}
        """));
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    VirtualService vs = config.virtualServices().get(0);
    assertThat(vs.http()).isEmpty();
    assertThat(vs.tls()).singleElement().satisfies(rule -> {
      assertThat(rule.matches()).containsExactly(new VirtualService.TlsMatch(
          java.util.List.of("a.example.com", "*.b.example.com"), 443, java.util.List.of("istio-system/gw")));
      assertThat(rule.route()).extracting(d -> d.destination().host() + ":" + d.weight())
          .containsExactly("a.internal:80", "b.internal:20");
    });

    files.write("vs.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: delegate}
        spec:
          tls: [{match: [{sniHosts: [a]}], route: [{destination: {host: a, port: {number: 1}}}]}]
        """);
    assertThat(load()).isEqualTo("VirtualService default/delegate (vs.yaml:1): spec.tls: a delegate VirtualService "
        + "(one without hosts) can only have http rules");
  }

  /** A DestinationRule for api.example.com whose top-level {@code trafficPolicy} is {@code policy}. */
  private static String destinationRule(String policy) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: api, namespace: egress}
        spec:
          host: api.example.com
          trafficPolicy: %s
        """.formatted(policy);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown mode        | '{tls: {mode: PERMISSIVE}}'                                              | spec.trafficPolicy.tls.mode: unknown value "PERMISSIVE" (DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL)
      mutual no cert      | '{tls: {mode: MUTUAL, privateKey: /k.pem}}'                              | spec.trafficPolicy.tls.clientCertificate: required for MUTUAL without credentialName
      mutual no key       | '{tls: {mode: MUTUAL, clientCertificate: /c.pem}}'                       | spec.trafficPolicy.tls.privateKey: required for MUTUAL without credentialName
      credential and file | '{tls: {mode: SIMPLE, credentialName: c, caCertificates: /ca.pem}}'      | spec.trafficPolicy.tls.caCertificates: only one of credentialName, clientCertificate/privateKey/caCertificates may be set
      simple client cert  | '{tls: {mode: SIMPLE, clientCertificate: /c.pem}}'                       | spec.trafficPolicy.tls.clientCertificate: not allowed with SIMPLE (a client certificate is only presented with MUTUAL)
      istio mutual files  | '{tls: {mode: ISTIO_MUTUAL, caCertificates: /ca.pem}}'                   | spec.trafficPolicy.tls.caCertificates: not allowed with ISTIO_MUTUAL (it presents the mesh certificate and verifies against the mesh root)
      istio mutual skip   | '{tls: {mode: ISTIO_MUTUAL, insecureSkipVerify: true}}'                  | spec.trafficPolicy.tls.insecureSkipVerify: not allowed with ISTIO_MUTUAL (the server's mesh identity is always verified)
      empty sni           | '{tls: {mode: SIMPLE, sni: ""}}'                                         | spec.trafficPolicy.tls.sni: must not be empty
      empty san           | '{tls: {mode: SIMPLE, subjectAltNames: [""]}}'                           | spec.trafficPolicy.tls.subjectAltNames[0]: must not be empty
      skip not a bool     | '{tls: {mode: SIMPLE, insecureSkipVerify: maybe}}'                       | spec.trafficPolicy.tls.insecureSkipVerify: expected true or false
      port level          | '{portLevelSettings: [{port: {number: 443}, tls: {mode: MUTUAL}}]}'      | spec.trafficPolicy.portLevelSettings[0].tls.clientCertificate: required for MUTUAL without credentialName
      """)
  void badDestinationRuleTls_isRejectedWithItsPath(String name, String policy, String expected) throws IOException {
    files.write("dr.yaml", destinationRule(policy));
    assertThat(load()).isEqualTo("DestinationRule egress/api (dr.yaml:1): " + expected);
  }

  @Test
  void serviceEntryResolutionNone_andWildcardHosts_areAccepted() throws IOException {
    files.write("se.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: wiki, namespace: egress}
        spec:
          hosts: ["*.wikipedia.org"]
          ports: [{number: 443, name: tls, protocol: TLS}]
          location: MESH_EXTERNAL
          subjectAltNames: ["spiffe://cluster.local/ns/egress/sa/wiki"]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: dns-wildcard, namespace: egress}
        spec:
          hosts: ["*.example.com"]
          ports: [{number: 443, name: tls, protocol: TLS}]
          resolution: DNS
        """);
    assertThat(load()).isEqualTo("ServiceEntry egress/dns-wildcard (se.yaml:10): spec.hosts[0]: a wildcard host cannot "
        + "be resolved (resolution DNS without endpoints)");
    ServiceEntry wiki = ConfigLoader.load(dir).serviceEntries().get(0);
    assertThat(wiki.resolution()).isEqualTo(ServiceEntry.Resolution.NONE);
    assertThat(wiki.subjectAltNames()).containsExactly("spiffe://cluster.local/ns/egress/sa/wiki");
  }
}
