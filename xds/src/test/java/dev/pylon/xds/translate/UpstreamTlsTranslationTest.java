package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DestinationRule {@code tls} to cluster transport sockets, proto for proto: SIMPLE (credential CA, CA file, system
 * trust store, SNI, SANs, insecureSkipVerify), MUTUAL, ISTIO_MUTUAL (mesh secrets, SNI, ALPN, expected SPIFFE
 * identities), Istio's top-level / port-level / subset precedence, and clusters failing closed without credentials.
 */
class UpstreamTlsTranslationTest {

  private static final GatewayIdentity EGRESS =
      GatewayIdentity.of("istio-system", Map.of("istio", "egress"), "egress-sa");
  private static final TestPki CA = TestPki.ca("upstream-tls-ca");
  private static final CertificateKeyPair CLIENT = CA.issue("dns:client.example.com");
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance()).setResourceApiVersion(ApiVersion.V3).build();
  private static final TlsParameters UPSTREAM_PARAMS = TlsParameters.newBuilder()
      .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
      .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
      .build();
  private static final String API = "api.example.com";

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void registry() {
    files = new ConfigDir(dir).write("registry.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: egress, namespace: istio-system}
        spec:
          selector: {istio: egress}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: istio-system}
        spec:
          hosts: [api.example.com]
          ports:
          - {number: 443, name: https, protocol: HTTPS}
          - {number: 8443, name: grpc, protocol: GRPC}
          resolution: STATIC
          endpoints: [{address: 192.0.2.10}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec: {ports: [{name: http, port: 9080}, {name: grpc, port: 9090}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: reviews-1, namespace: shop, labels: {kubernetes.io/service-name: reviews}}
        addressType: IPv4
        ports: [{name: http, port: 9080}, {name: grpc, port: 9090}]
        endpoints:
        - {addresses: [10.0.0.1], targetRef: {kind: Pod, name: reviews-v1}}
        - {addresses: [10.0.0.2], targetRef: {kind: Pod, name: reviews-v2}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1, namespace: shop, labels: {version: v1}}
        spec: {serviceAccountName: reviews}
        status: {podIP: 10.0.0.1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v2, namespace: shop, labels: {version: v2}}
        spec: {}
        status: {podIP: 10.0.0.2}
        """);
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private XdsResources translate(String destinationRule) throws IOException {
    files.write("dr.yaml", destinationRule);
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, EGRESS);
    assertThat(resources.danglingReferences()).isEmpty();
    return resources;
  }

  private static String apiRule(String tls) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: api, namespace: istio-system}
        spec:
          host: api.example.com
          trafficPolicy:
            tls: %s
        """.formatted(tls);
  }

  private static Cluster cluster(XdsResources resources, String name) {
    return resources.clusters().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
  }

  private static UpstreamTlsContext upstream(Cluster cluster) {
    assertThat(cluster.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    try {
      return cluster.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static SdsSecretConfig sds(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ADS).build();
  }

  private static CommonTlsContext.CombinedCertificateValidationContext combined(String ca, String... sans) {
    CertificateValidationContext.Builder defaults = CertificateValidationContext.newBuilder();
    for (String san : sans) {
      defaults.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san));
    }
    return CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
        .setDefaultValidationContext(defaults).setValidationContextSdsSecretConfig(sds(ca)).build();
  }

  private int endpointCount(XdsResources resources, String cluster) {
    return resources.endpoints().stream().filter(e -> e.getClusterName().equals(cluster)).findFirst().orElseThrow()
        .getEndpointsList().stream().mapToInt(l -> l.getLbEndpointsCount()).sum();
  }

  @Test
  void simpleWithCredential_verifiesAgainstTheSecretsCa_sniFromTheHost() throws IOException {
    files.write("secret.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: api-ca, namespace: istio-system}
        data: {ca.crt: %s}
        """.formatted(b64(CA.certificatePem())));

    XdsResources resources = translate(apiRule("{mode: SIMPLE, credentialName: api-ca}"));

    assertThat(upstream(cluster(resources, "outbound|443||" + API))).isEqualTo(UpstreamTlsContext.newBuilder()
        .setSni(API)
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(UPSTREAM_PARAMS)
            .setCombinedValidationContext(combined("kubernetes://api-ca-cacert")))
        .build());
    // the gRPC port speaks HTTP/2: h2 is offered
    assertThat(upstream(cluster(resources, "outbound|8443||" + API)).getCommonTlsContext().getAlpnProtocolsList())
        .containsExactly("h2");
    assertThat(resources.secrets()).extracting(Secret::getName).containsExactly("kubernetes://api-ca-cacert");
  }

  @Test
  void simpleWithoutCa_usesTheSystemTrustStore_andTheServiceEntrysSans() throws IOException {
    XdsResources resources = translate(apiRule("{mode: SIMPLE}"));
    assertThat(upstream(cluster(resources, "outbound|443||" + API))).isEqualTo(UpstreamTlsContext.newBuilder()
        .setSni(API).setCommonTlsContext(CommonTlsContext.newBuilder().setTlsParams(UPSTREAM_PARAMS)).build());

    files.write("registry.yaml", Files.readString(dir.resolve("registry.yaml"))
        .replace("resolution: STATIC", "resolution: STATIC\n  subjectAltNames: [api.example.com]"));
    resources = translate(apiRule("{mode: SIMPLE}"));
    // SANs to check against the system trust store: istiod's shape, with the JVM's trust anchors as file-root:system
    assertThat(upstream(cluster(resources, "outbound|443||" + API)).getCommonTlsContext()
        .getCombinedValidationContext()).isEqualTo(combined("file-root:system", API));
    assertThat(resources.secrets()).singleElement().satisfies(secret -> {
      assertThat(secret.getName()).isEqualTo("file-root:system");
      assertThat(secret.getValidationContext().getTrustedCa().getInlineString()).contains("BEGIN CERTIFICATE");
    });
  }

  @Test
  void simpleWithFileCaSniAndSans_andInsecureSkipVerify() throws IOException {
    Path ca = dir.resolve("api-ca.pem");
    Files.writeString(ca, CA.certificatePem());

    XdsResources resources = translate(apiRule("{mode: SIMPLE, caCertificates: " + ca + ", sni: edge.example.com, "
        + "subjectAltNames: [edge.example.com]}"));
    assertThat(upstream(cluster(resources, "outbound|443||" + API))).isEqualTo(UpstreamTlsContext.newBuilder()
        .setSni("edge.example.com")
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(UPSTREAM_PARAMS)
            .setCombinedValidationContext(combined("file-root:" + ca, "edge.example.com")))
        .build());
    assertThat(resources.secrets()).singleElement().satisfies(secret -> assertThat(
        secret.getValidationContext().getTrustedCa().getInlineString()).isEqualTo(CA.certificatePem()));

    resources = translate(apiRule("{mode: SIMPLE, insecureSkipVerify: true}"));
    assertThat(upstream(cluster(resources, "outbound|443||" + API)).getCommonTlsContext().getValidationContext())
        .isEqualTo(CertificateValidationContext.newBuilder().setTrustChainVerification(
            CertificateValidationContext.TrustChainVerification.ACCEPT_UNTRUSTED).build());
  }

  @Test
  void mutual_presentsTheClientCertificate_fromFilesOrACredential() throws IOException {
    TestPki.write(CLIENT, dir, "client");
    XdsResources resources = translate(apiRule("{mode: MUTUAL, clientCertificate: client.crt, privateKey: client.key}"));
    UpstreamTlsContext tls = upstream(cluster(resources, "outbound|443||" + API));
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList())
        .containsExactly(sds("file-cert:client.crt~client.key"));
    assertThat(tls.getCommonTlsContext().hasValidationContext()).isFalse();
    assertThat(tls.getCommonTlsContext().hasCombinedValidationContext()).isFalse();

    files.write("secret.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: api-client, namespace: istio-system}
        data: {tls.crt: %s, tls.key: %s, ca.crt: %s}
        """.formatted(b64(TestPki.chainPem(CLIENT)), b64(TestPki.keyPem(CLIENT)), b64(CA.certificatePem())));
    resources = translate(apiRule("{mode: MUTUAL, credentialName: api-client}"));
    assertThat(upstream(cluster(resources, "outbound|443||" + API))).isEqualTo(UpstreamTlsContext.newBuilder()
        .setSni(API)
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(UPSTREAM_PARAMS)
            .addTlsCertificateSdsSecretConfigs(sds("kubernetes://api-client"))
            .setCombinedValidationContext(combined("kubernetes://api-client-cacert")))
        .build());
    assertThat(resources.secrets()).extracting(Secret::getName)
        .containsExactly("kubernetes://api-client", "kubernetes://api-client-cacert");
  }

  @Test
  void istioMutual_usesTheMeshSecrets_outboundSni_sidecarAlpn_andTheEndpointsIdentities() throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
          subsets: [{name: v1, labels: {version: v1}}]
        """);

    String host = "reviews.shop.svc.cluster.local";
    assertThat(upstream(cluster(resources, "outbound|9080|v1|" + host))).isEqualTo(UpstreamTlsContext.newBuilder()
        .setSni("outbound_.9080_.v1_." + host)
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(UPSTREAM_PARAMS)
            .addAlpnProtocols("istio-http/1.1").addAlpnProtocols("istio").addAlpnProtocols("http/1.1")
            .addTlsCertificateSdsSecretConfigs(sds("default"))
            .setCombinedValidationContext(combined("ROOTCA", "spiffe://cluster.local/ns/shop/sa/default",
                "spiffe://cluster.local/ns/shop/sa/reviews")))
        .build());
    UpstreamTlsContext grpc = upstream(cluster(resources, "outbound|9090||" + host));
    assertThat(grpc.getSni()).isEqualTo("outbound_.9090_._." + host);
    assertThat(grpc.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("istio-h2", "istio", "h2");
    assertThat(resources.usesMeshSecrets()).isTrue();
    assertThat(resources.secrets()).isEmpty();
  }

  @Test
  void istioMutual_withTheMeshTrustDomain_andTheRulesOwnSansAndSni() throws IOException {
    files.write("mesh.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data: {mesh: "trustDomain: example.org"}
        """);
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          trafficPolicy:
            tls: {mode: ISTIO_MUTUAL}
            portLevelSettings:
            - port: {number: 9090}
              tls: {mode: ISTIO_MUTUAL, sni: reviews.internal, subjectAltNames: ["spiffe://example.org/ns/shop/sa/x"]}
        """);
    String host = "reviews.shop.svc.cluster.local";
    assertThat(upstream(cluster(resources, "outbound|9080||" + host)).getCommonTlsContext()
        .getCombinedValidationContext()).isEqualTo(combined("ROOTCA", "spiffe://example.org/ns/shop/sa/default",
            "spiffe://example.org/ns/shop/sa/reviews"));
    UpstreamTlsContext port = upstream(cluster(resources, "outbound|9090||" + host));
    assertThat(port.getSni()).isEqualTo("reviews.internal");
    assertThat(port.getCommonTlsContext().getCombinedValidationContext())
        .isEqualTo(combined("ROOTCA", "spiffe://example.org/ns/shop/sa/x"));
  }

  @Test
  void precedence_portLevelReplacesTheTopLevel_subsetsOverrideTls() throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          trafficPolicy:
            tls: {mode: ISTIO_MUTUAL}
            portLevelSettings:
            - port: {number: 9090}
              loadBalancer: {simple: RANDOM}
          subsets:
          - name: v1
            labels: {version: v1}
            trafficPolicy: {tls: {mode: DISABLE}}
          - name: v2
            labels: {version: v2}
            trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
        """);
    String host = "reviews.shop.svc.cluster.local";
    assertThat(cluster(resources, "outbound|9080||" + host).hasTransportSocket()).isTrue();
    // the port's entry replaces the top-level policy as a whole: no tls on 9090
    assertThat(cluster(resources, "outbound|9090||" + host).hasTransportSocket()).isFalse();
    // a subset's tls replaces the rule's; a subset without tls keeps it
    assertThat(cluster(resources, "outbound|9080|v1|" + host).hasTransportSocket()).isFalse();
    assertThat(cluster(resources, "outbound|9080|v2|" + host).hasTransportSocket()).isTrue();
  }

  @Test
  void missingCredential_leavesTheClusterWithoutEndpoints_failingClosed() throws IOException {
    XdsResources resources = translate(apiRule("{mode: MUTUAL, credentialName: api-client}"));

    Cluster cluster = cluster(resources, "outbound|443||" + API);
    assertThat(cluster.hasTransportSocket()).isFalse();
    assertThat(endpointCount(resources, "outbound|443||" + API)).isZero();
    assertThat(resources.warnings()).contains("cluster outbound|443||api.example.com: DestinationRule tls MUTUAL: "
        + "Secret istio-system/api-client not found: no endpoints");
    assertThat(resources.secrets()).isEmpty();
  }

  @Test
  void egressOrigination_viaAnUnregisteredHost_getsTheRulesTls() throws IOException {
    files.write("vs.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: httpbin, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [egress]
          http: [{route: [{destination: {host: httpbin.org, port: {number: 443}}}]}]
        """);
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: httpbin, namespace: istio-system}
        spec:
          host: httpbin.org
          trafficPolicy: {tls: {mode: SIMPLE}}
        """);
    assertThat(upstream(cluster(resources, "outbound|443||httpbin.org")).getSni()).isEqualTo("httpbin.org");
    assertThat(List.copyOf(resources.referencedSecrets())).isEmpty();
  }

  @Test
  void clusterTransportSocket_isPackedAsUpstreamTlsContext() throws IOException {
    Any config = cluster(translate(apiRule("{mode: SIMPLE}")), "outbound|443||" + API).getTransportSocket()
        .getTypedConfig();
    assertThat(config.getTypeUrl())
        .isEqualTo("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
  }
}
