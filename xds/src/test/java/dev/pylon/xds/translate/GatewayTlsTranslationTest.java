package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.registry.DnsTable;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
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
 * Gateway servers with {@code tls} to listeners, compared proto for proto with istiod's shapes: SIMPLE, MUTUAL,
 * OPTIONAL_MUTUAL and ISTIO_MUTUAL chains (SNI names, their own route configurations, SDS secrets), certificate files
 * served as secrets and re-read, httpsRedirect, PASSTHROUGH chains of VirtualService tls routes, and the outbound
 * traffic policy (REGISTRY_ONLY refusals, ALLOW_ANY DNS clusters).
 */
class GatewayTlsTranslationTest {

  private static final GatewayIdentity INGRESS =
      GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "ingress-sa");
  private static final TestPki CA = TestPki.ca("gateway-tls-ca");
  private static final CertificateKeyPair SHOP = CA.issue("dns:shop.example.com");
  private static final CertificateKeyPair BLOG = CA.issue("dns:blog.example.com");
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance()).setResourceApiVersion(ApiVersion.V3).build();
  private static final String SHOP_CLUSTER = "outbound|8080||shop.shop.svc.cluster.local";

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void registry() {
    files = new ConfigDir(dir).write("registry.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: shop, namespace: shop}
        spec: {ports: [{name: http, port: 8080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: shop, namespace: shop}
        spec:
          hosts: [shop.example.com, blog.example.com]
          gateways: [istio-system/gw]
          http: [{route: [{destination: {host: shop}}]}]
        """);
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  /** A TLS Secret in istio-system (the gateway's namespace); {@code ca} null for none. */
  private static String secret(String name, CertificateKeyPair pair, String ca) {
    return """
        apiVersion: v1
        kind: Secret
        metadata: {name: %s, namespace: istio-system}
        type: kubernetes.io/tls
        data:
          tls.crt: %s
          tls.key: %s
        %s---
        """.formatted(name, b64(TestPki.chainPem(pair)), b64(TestPki.keyPem(pair)),
        ca == null ? "" : "  ca.crt: " + b64(ca) + "\n");
  }

  private static String gateway(String servers) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingress}
          servers:
        %s""".formatted(servers.indent(2));
  }

  private XdsResources translate() throws IOException {
    return translate(DnsTable.EMPTY);
  }

  private XdsResources translate(DnsTable dns) throws IOException {
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, dns, INGRESS);
    assertThat(resources.danglingReferences()).isEmpty();
    return resources;
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static Listener listener(XdsResources resources, String name) {
    return resources.listeners().stream().filter(l -> l.getName().equals(name)).findFirst().orElseThrow();
  }

  private static DownstreamTlsContext downstream(FilterChain chain) {
    assertThat(chain.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    return unpack(chain.getTransportSocket().getTypedConfig(), DownstreamTlsContext.class);
  }

  private static String rds(FilterChain chain) {
    assertThat(chain.getFiltersList()).singleElement().satisfies(filter ->
        assertThat(filter.getName()).isEqualTo("envoy.filters.network.http_connection_manager"));
    return unpack(chain.getFilters(0).getTypedConfig(), HttpConnectionManager.class).getRds().getRouteConfigName();
  }

  private static SdsSecretConfig sds(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ADS).build();
  }

  private static final ListenerFilter TLS_INSPECTOR = ListenerFilter.newBuilder()
      .setName("envoy.filters.listener.tls_inspector").setTypedConfig(Any.pack(TlsInspector.getDefaultInstance()))
      .build();

  @Test
  void simpleServer_isAChainForItsHostsWithItsOwnRoutesAndTheCredentialAsSecret() throws IOException {
    files.write("tls.yaml", secret("shop-cert", SHOP, null) + gateway("""
        - port: {number: 443, name: https, protocol: HTTPS}
          hosts: [shop.example.com]
          tls: {mode: SIMPLE, credentialName: shop-cert}
        """));

    XdsResources resources = translate();

    Listener listener = listener(resources, "0.0.0.0_443");
    assertThat(listener.getListenerFiltersList()).containsExactly(TLS_INSPECTOR);
    FilterChain chain = listener.getFilterChains(0);
    assertThat(listener.getFilterChainsList()).hasSize(1);
    assertThat(chain.getFilterChainMatch())
        .isEqualTo(FilterChainMatch.newBuilder().addServerNames("shop.example.com").build());
    assertThat(downstream(chain)).isEqualTo(DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .addAlpnProtocols("h2").addAlpnProtocols("http/1.1")
            .addTlsCertificateSdsSecretConfigs(sds("kubernetes://shop-cert")))
        .setRequireClientCertificate(BoolValue.of(false))
        .build());
    assertThat(rds(chain)).isEqualTo("https.443.https.gw.istio-system");
    RouteConfiguration routes = resources.routes().stream()
        .filter(r -> r.getName().equals("https.443.https.gw.istio-system")).findFirst().orElseThrow();
    assertThat(routes.getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("shop.example.com:443");
    assertThat(routes.getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo(SHOP_CLUSTER);
    assertThat(resources.secrets()).containsExactly(Secret.newBuilder()
        .setName("kubernetes://shop-cert")
        .setTlsCertificate(TlsCertificate.newBuilder()
            .setCertificateChain(DataSource.newBuilder().setInlineString(TestPki.chainPem(SHOP)))
            .setPrivateKey(DataSource.newBuilder().setInlineString(TestPki.keyPem(SHOP))))
        .build());
    assertThat(resources.toJson()).contains("[redacted]").doesNotContain("PRIVATE KEY");
    assertThat(resources.toString()).doesNotContain("PRIVATE KEY");
  }

  @Test
  void mutualAndOptionalMutual_validateClientsAgainstTheCredentialsCa_withSansVersionsAndCiphers()
      throws IOException {
    files.write("tls.yaml", secret("shop-cert", SHOP, CA.certificatePem()) + secret("blog-cert", BLOG, null) + """
        apiVersion: v1
        kind: Secret
        metadata: {name: blog-cert-cacert, namespace: istio-system}
        stringData: {cacert: "%s"}
        ---
        """.formatted(CA.certificatePem().replace("\n", "\\n")) + gateway("""
        - port: {number: 443, name: shop, protocol: HTTPS}
          hosts: [shop.example.com]
          tls:
            mode: MUTUAL
            credentialName: shop-cert
            subjectAltNames: [client.example.com]
            minProtocolVersion: TLSV1_2
            maxProtocolVersion: TLSV1_3
            cipherSuites: [ECDHE-ECDSA-AES128-GCM-SHA256]
        - port: {number: 443, name: blog, protocol: HTTPS}
          hosts: [blog.example.com]
          tls: {mode: OPTIONAL_MUTUAL, credentialName: blog-cert}
        """));

    XdsResources resources = translate();

    List<FilterChain> chains = listener(resources, "0.0.0.0_443").getFilterChainsList();
    assertThat(chains).extracting(c -> c.getFilterChainMatch().getServerNames(0) + " " + rds(c)).containsExactly(
        "shop.example.com https.443.shop.gw.istio-system", "blog.example.com https.443.blog.gw.istio-system");
    assertThat(downstream(chains.get(0))).isEqualTo(DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(TlsParameters.newBuilder()
                .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
                .addCipherSuites("ECDHE-ECDSA-AES128-GCM-SHA256"))
            .addAlpnProtocols("h2").addAlpnProtocols("http/1.1")
            .addTlsCertificateSdsSecretConfigs(sds("kubernetes://shop-cert"))
            .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(CertificateValidationContext.newBuilder()
                    .addMatchSubjectAltNames(StringMatcher.newBuilder().setExact("client.example.com")))
                .setValidationContextSdsSecretConfig(sds("kubernetes://shop-cert-cacert"))))
        .setRequireClientCertificate(BoolValue.of(true))
        .build());
    DownstreamTlsContext blog = downstream(chains.get(1));
    assertThat(blog.getRequireClientCertificate()).isEqualTo(BoolValue.of(false));
    assertThat(blog.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig())
        .isEqualTo(sds("kubernetes://blog-cert-cacert"));
    assertThat(resources.secrets()).extracting(Secret::getName).containsExactly("kubernetes://blog-cert",
        "kubernetes://blog-cert-cacert", "kubernetes://shop-cert", "kubernetes://shop-cert-cacert");
    assertThat(resources.secrets().get(3).getValidationContext().getTrustedCa().getInlineString())
        .isEqualTo(CA.certificatePem());
  }

  @Test
  void missingCredential_dropsOnlyItsServer_withAWarningNamingTheSecret() throws IOException {
    files.write("tls.yaml", secret("shop-cert", SHOP, null) + gateway("""
        - port: {number: 443, name: shop, protocol: HTTPS}
          hosts: [shop.example.com]
          tls: {mode: SIMPLE, credentialName: shop-cert}
        - port: {number: 443, name: blog, protocol: HTTPS}
          hosts: [blog.example.com]
          tls: {mode: SIMPLE, credentialName: blog-cert}
        - port: {number: 443, name: mutual, protocol: HTTPS}
          hosts: [mutual.example.com]
          tls: {mode: MUTUAL, credentialName: shop-cert}
        """));

    XdsResources resources = translate();

    assertThat(listener(resources, "0.0.0.0_443").getFilterChainsList())
        .extracting(c -> c.getFilterChainMatch().getServerNames(0)).containsExactly("shop.example.com");
    assertThat(resources.warnings()).containsExactly(
        "Gateway istio-system/gw server 443/blog (HTTPS, hosts [blog.example.com]) dropped: Secret "
            + "istio-system/blog-cert not found",
        "Gateway istio-system/gw server 443/mutual (HTTPS, hosts [mutual.example.com]) dropped: no CA certificate "
            + "for credential shop-cert: neither Secret istio-system/shop-cert (ca.crt or cacert) nor Secret "
            + "istio-system/shop-cert-cacert has one");
    assertThat(resources.secrets()).extracting(Secret::getName).containsExactly("kubernetes://shop-cert");
  }

  @Test
  void hostsOnePortServes_takeOneChainEach_catchAllServerWithoutServerNames() throws IOException {
    files.write("dup.yaml", secret("blog-cert", BLOG, null) + gateway("""
        - port: {number: 443, name: c, protocol: HTTPS}
          hosts: [shop.example.com, blog.example.com]
          tls: {mode: SIMPLE, credentialName: blog-cert}
        """).replace("name: gw,", "name: zz,"));
    files.write("tls.yaml", secret("shop-cert", SHOP, null) + gateway("""
        - port: {number: 443, name: a, protocol: HTTPS}
          hosts: [shop.example.com, "*.example.com"]
          tls: {mode: SIMPLE, credentialName: shop-cert}
        - port: {number: 443, name: b, protocol: HTTPS}
          hosts: [shop.example.com, "*"]
          tls: {mode: SIMPLE, credentialName: shop-cert}
        """));

    XdsResources resources = translate();

    List<FilterChain> chains = listener(resources, "0.0.0.0_443").getFilterChainsList();
    assertThat(chains.get(0).getFilterChainMatch().getServerNamesList())
        .containsExactly("*.example.com", "shop.example.com");
    // Gateway zz comes after gw: its shop.example.com is taken, blog.example.com is its own
    assertThat(chains.get(2).getFilterChainMatch().getServerNamesList()).containsExactly("blog.example.com");
    assertThat(chains.get(1).hasFilterChainMatch()).isFalse(); // "*": every other name
    assertThat(resources.warnings()).containsExactly("Gateway istio-system/zz server 443/c (HTTPS, hosts "
        + "[shop.example.com, blog.example.com]): host shop.example.com dropped: an earlier server on the port "
        + "already serves it");
  }

  @Test
  void istioMutualServer_presentsTheMeshCertificate_andChecksClientsAgainstTheMeshRoot() throws IOException {
    files.write("tls.yaml", gateway("""
        - port: {number: 443, name: mtls, protocol: HTTPS}
          hosts: [shop.example.com]
          tls: {mode: ISTIO_MUTUAL}
        """));

    XdsResources resources = translate();

    DownstreamTlsContext tls = downstream(listener(resources, "0.0.0.0_443").getFilterChains(0));
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList()).containsExactly(sds("default"));
    assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig())
        .isEqualTo(sds("ROOTCA"));
    assertThat(tls.getRequireClientCertificate()).isEqualTo(BoolValue.of(true));
    assertThat(resources.usesMeshSecrets()).isTrue();
    assertThat(resources.secrets()).isEmpty(); // the control plane's CA adds them
  }

  @Test
  void certificateFiles_areServedAsSecrets_reReadWhenChanged_andKeptWhenTheyGoBad() throws IOException {
    Path certs = Files.createDirectories(dir.resolve("certs"));
    TestPki.write(SHOP, certs, "server");
    Files.writeString(certs.resolve("ca.crt"), CA.certificatePem());
    files.write("tls.yaml", gateway("""
        - port: {number: 443, name: https, protocol: HTTPS}
          hosts: [shop.example.com]
          tls:
            mode: MUTUAL
            serverCertificate: certs/server.crt
            privateKey: certs/server.key
            caCertificates: %s
        """.formatted(certs.resolve("ca.crt"))));
    String certName = "file-cert:certs/server.crt~certs/server.key";
    String caName = "file-root:" + certs.resolve("ca.crt");

    ConfigSnapshot first = ConfigLoader.load(dir);
    XdsResources resources = Translator.translate(first, INGRESS);
    assertThat(first.rejectionMessages()).isEmpty();
    assertThat(first.watchedFiles()).containsExactly(certs.resolve("ca.crt"), certs.resolve("server.crt"),
        certs.resolve("server.key"));

    DownstreamTlsContext tls = downstream(listener(resources, "0.0.0.0_443").getFilterChains(0));
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList()).containsExactly(sds(certName));
    assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig())
        .isEqualTo(sds(caName));
    assertThat(resources.secrets()).extracting(Secret::getName).containsExactly(certName, caName);
    assertThat(resources.secrets().get(0).getTlsCertificate().getCertificateChain().getInlineString())
        .isEqualTo(TestPki.chainPem(SHOP));

    // a rotated certificate is read again: a new secret content and a new version
    CertificateKeyPair rotated = CA.issue("dns:shop.example.com");
    TestPki.write(rotated, certs, "server");
    ConfigSnapshot second = ConfigLoader.load(dir, first);
    XdsResources after = Translator.translate(second, INGRESS);
    assertThat(after.secrets().get(0).getTlsCertificate().getCertificateChain().getInlineString())
        .isEqualTo(TestPki.chainPem(rotated));
    assertThat(after.version()).isNotEqualTo(resources.version());

    // a key that no longer matches is rejected, naming the path; the previous files stay in force
    Files.writeString(certs.resolve("server.key"), TestPki.keyPem(BLOG));
    ConfigSnapshot third = ConfigLoader.load(dir, second);
    assertThat(third.rejectionMessages()).containsExactly("Gateway istio-system/gw (tls.yaml:1): "
        + "spec.servers[0].tls.privateKey: certs/server.key does not match the certificate in certs/server.crt");
    assertThat(Translator.translate(third, INGRESS).secrets()).isEqualTo(after.secrets());

    // a missing file too
    TestPki.write(rotated, certs, "server");
    Files.delete(certs.resolve("ca.crt"));
    ConfigSnapshot fourth = ConfigLoader.load(dir, third);
    assertThat(fourth.rejectionMessages()).singleElement().satisfies(message -> assertThat(message)
        .endsWith("spec.servers[0].tls.caCertificates: cannot read " + certs.resolve("ca.crt") + ": no such file"));
    assertThat(Translator.translate(fourth, INGRESS).secrets()).isEqualTo(after.secrets());

    // with no good version before, the Gateway is not in force at all
    assertThat(ConfigLoader.load(dir).gateways()).isEmpty();
  }

  @Test
  void httpsRedirect_requiresTlsOnTheServersVirtualHosts_evenWithoutRoutes() throws IOException {
    files.write("gw.yaml", gateway("""
        - port: {number: 8080, name: http, protocol: HTTP}
          hosts: [shop.example.com, static.example.com]
          tls: {httpsRedirect: true}
        """));

    XdsResources resources = translate();

    RouteConfiguration routes = resources.routes().get(0);
    assertThat(routes.getName()).isEqualTo("http.8080");
    assertThat(routes.getVirtualHostsList()).extracting(v -> v.getName() + " " + v.getRequireTls() + " "
        + v.getRoutesCount()).containsExactly("shop.example.com:8080 ALL 1", "static.example.com:8080 ALL 0");
    assertThat(routes.getVirtualHosts(1).getDomainsList())
        .containsExactly("static.example.com", "static.example.com:*");
    assertThat(listener(resources, "0.0.0.0_8080").getListenerFiltersList()).isEmpty();
  }

  /** A PASSTHROUGH Gateway for *.example.com on 443 and ServiceEntries for the backends. */
  private void passthroughConfig(String tlsRules) {
    files.write("passthrough.yaml", gateway("""
        - port: {number: 443, name: tls, protocol: TLS}
          hosts: ["*.example.com"]
          tls: {mode: PASSTHROUGH}
        """) + """
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: backends, namespace: istio-system}
        spec:
          hosts: [a.internal, b.internal]
          ports: [{number: 8443, name: tls, protocol: TLS}]
          resolution: STATIC
          endpoints: [{address: 10.0.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: sni, namespace: istio-system}
        spec:
          hosts: [a.example.com, b.example.com]
          gateways: [gw]
          tls:
        %s""".formatted(tlsRules.indent(2)));
  }

  @Test
  void passthroughServer_routesBySniToTcpProxies() throws IOException {
    passthroughConfig("""
        - match: [{sniHosts: [a.example.com], port: 443}]
          route: [{destination: {host: a.internal, port: {number: 8443}}}]
        - match: [{sniHosts: [b.example.com]}]
          route:
          - {destination: {host: a.internal, port: {number: 8443}}, weight: 75}
          - {destination: {host: b.internal, port: {number: 8443}}, weight: 25}
        - match: [{sniHosts: [a.example.com]}, {sniHosts: [b.example.com], port: 9443}]
          route: [{destination: {host: b.internal, port: {number: 8443}}}]
        """);

    XdsResources resources = translate();

    Listener listener = listener(resources, "0.0.0.0_443");
    assertThat(listener.getListenerFiltersList()).containsExactly(TLS_INSPECTOR);
    assertThat(listener.getFilterChainsList()).hasSize(2);
    FilterChain a = listener.getFilterChains(0);
    assertThat(a.getFilterChainMatch()).isEqualTo(FilterChainMatch.newBuilder()
        .addServerNames("a.example.com").setTransportProtocol("tls").build());
    assertThat(a.hasTransportSocket()).isFalse();
    assertThat(a.getFiltersList()).singleElement().satisfies(filter -> {
      assertThat(filter.getName()).isEqualTo("envoy.filters.network.tcp_proxy");
      assertThat(unpack(filter.getTypedConfig(), TcpProxy.class)).isEqualTo(TcpProxy.newBuilder()
          .setStatPrefix("outbound|8443||a.internal").setCluster("outbound|8443||a.internal").build());
    });
    TcpProxy weighted = unpack(listener.getFilterChains(1).getFilters(0).getTypedConfig(), TcpProxy.class);
    assertThat(weighted.getWeightedClusters().getClustersList()).extracting(c -> c.getName() + "=" + c.getWeight())
        .containsExactly("outbound|8443||a.internal=75", "outbound|8443||b.internal=25");
    assertThat(resources.warnings()).containsExactly("VirtualService istio-system/sni tls route on Gateway "
        + "istio-system/gw: SNI a.example.com dropped: an earlier tls route on the port takes it");
  }

  @Test
  void registryOnly_refusesUnregisteredHostsWith502_andClosesTheirSni() throws IOException {
    files.write("mesh.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data: {mesh: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}"}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: wiki, namespace: istio-system}
        spec:
          hosts: ["*.wikipedia.org"]
          ports: [{number: 443, name: https, protocol: HTTPS}]
          resolution: NONE
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: egress, namespace: istio-system}
        spec:
          hosts: ["*.example.com"]
          gateways: [gw]
          http:
          - match: [{uri: {prefix: /unknown}}]
            route: [{destination: {host: api.unknown.org, port: {number: 443}}}]
          - match: [{uri: {prefix: /wiki}}]
            route: [{destination: {host: en.wikipedia.org, port: {number: 443}}}]
        """);
    passthroughConfig("""
        - match: [{sniHosts: [a.example.com]}]
          route: [{destination: {host: a.unknown.org, port: {number: 443}}}]
        - match: [{sniHosts: [b.example.com]}]
          route: [{destination: {host: b.internal, port: {number: 8443}}}]
        """);
    files.write("gw-http.yaml", gateway("""
        - port: {number: 8080, name: http, protocol: HTTP}
          hosts: ["*.example.com"]
        """).replace("name: gw,", "name: gw-http,").replace("gateways: [gw]", "gateways: [gw-http]"));
    files.write("vs-http.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: egress-http, namespace: istio-system}
        spec:
          hosts: ["*.example.com"]
          gateways: [gw-http]
          http:
          - match: [{uri: {prefix: /unknown}}]
            route: [{destination: {host: api.unknown.org, port: {number: 443}}}]
          - match: [{uri: {prefix: /wiki}}]
            route: [{destination: {host: en.wikipedia.org, port: {number: 443}}}]
        """);

    XdsResources resources = translate(DnsTable.of(Map.of("en.wikipedia.org", List.of("198.51.100.7"))));

    List<Route> routes = resources.routes().stream().filter(r -> r.getName().equals("http.8080")).findFirst()
        .orElseThrow().getVirtualHosts(0).getRoutesList();
    assertThat(routes.get(0).getDirectResponse().getStatus()).isEqualTo(502);
    assertThat(routes.get(0).getDirectResponse().getBody().getInlineString()).isEqualTo(
        "destination not registered in the mesh: api.unknown.org (outboundTrafficPolicy REGISTRY_ONLY)\n");
    // a name a wildcard ServiceEntry covers is registered: its cluster has the addresses DNS gives for it
    assertThat(routes.get(1).getRoute().getCluster()).isEqualTo("outbound|443||en.wikipedia.org");
    assertThat(resources.endpoints()).filteredOn(e -> e.getClusterName().equals("outbound|443||en.wikipedia.org"))
        .singleElement().satisfies(assignment -> assertThat(assignment.getEndpoints(0).getLbEndpoints(0)
            .getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("198.51.100.7"));
    // the unregistered SNI destination gets no chain: the gateway closes such connections
    assertThat(listener(resources, "0.0.0.0_443").getFilterChainsList())
        .extracting(c -> c.getFilterChainMatch().getServerNames(0)).containsExactly("b.example.com");
    assertThat(resources.clusters()).extracting(Cluster::getName).noneMatch(name -> name.contains("unknown.org"));
    assertThat(resources.warnings()).contains(
        "destination host api.unknown.org is not in the service registry: routes to it answer 502 "
            + "(outboundTrafficPolicy REGISTRY_ONLY; named by VirtualService istio-system/egress-http)",
        "destination host a.unknown.org is not in the service registry: routes to it answer 502 "
            + "(outboundTrafficPolicy REGISTRY_ONLY; named by VirtualService istio-system/sni)");
  }

  @Test
  void allowAny_sendsUnregisteredHostsToTheirDnsAddressesOnTheDestinationPort() throws IOException {
    files.write("egress.yaml", gateway("""
        - port: {number: 8080, name: http, protocol: HTTP}
          hosts: [api.example.com]
        """) + """
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: egress, namespace: istio-system}
        spec:
          hosts: [api.example.com]
          gateways: [gw]
          http: [{route: [{destination: {host: httpbin.org, port: {number: 80}}}]}]
        """);

    XdsResources resources = translate(DnsTable.of(Map.of("httpbin.org", List.of("203.0.113.5", "203.0.113.6"))));

    ClusterLoadAssignment assignment = resources.endpoints().stream()
        .filter(e -> e.getClusterName().equals("outbound|80||httpbin.org")).findFirst().orElseThrow();
    assertThat(assignment.getEndpoints(0).getLbEndpointsList()).extracting(e -> e.getEndpoint().getAddress()
        .getSocketAddress().getAddress() + ":" + e.getEndpoint().getAddress().getSocketAddress().getPortValue())
        .containsExactly("203.0.113.5:80", "203.0.113.6:80");
  }

  @Test
  void aPortAnotherGatewayServesOtherwise_dropsTheLaterServers() throws IOException {
    files.write("tls.yaml", secret("shop-cert", SHOP, null) + gateway("""
        - port: {number: 8443, name: https, protocol: HTTPS}
          hosts: [shop.example.com]
          tls: {mode: SIMPLE, credentialName: shop-cert}
        """) + "---\n" + gateway("""
        - port: {number: 8443, name: http, protocol: HTTP}
          hosts: [blog.example.com]
        """).replace("name: gw,", "name: zz,"));

    XdsResources resources = translate();

    assertThat(listener(resources, "0.0.0.0_8443").getFilterChainsList()).hasSize(1);
    assertThat(resources.warnings()).containsExactly("Gateway istio-system/zz: server 8443/http (HTTP, hosts "
        + "[blog.example.com]) dropped: port 8443 is already served as TLS termination by Gateway istio-system/gw");
  }

  @Test
  void transportSocketOfAChain_isTheTlsSocket() throws IOException {
    files.write("tls.yaml", secret("shop-cert", SHOP, null) + gateway("""
        - port: {number: 443, name: https, protocol: HTTPS}
          hosts: ["*"]
          tls: {mode: SIMPLE, credentialName: shop-cert}
        """));
    TransportSocket socket = listener(translate(), "0.0.0.0_443").getFilterChains(0).getTransportSocket();
    assertThat(socket.getName()).isEqualTo("envoy.transport_sockets.tls");
    assertThat(socket.getTypedConfig().getTypeUrl())
        .isEqualTo("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext");
  }
}
