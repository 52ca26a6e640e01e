package dev.pylon.xds.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.ValueMatcher;
import dev.pylon.routing.rbac.CidrRange;
import dev.pylon.routing.rbac.Permission;
import dev.pylon.routing.rbac.Principal;
import dev.pylon.routing.rbac.RbacConfig;
import dev.pylon.routing.rbac.RbacPolicy;
import dev.pylon.routing.rbac.RbacRules;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.testing.Corpus;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code envoy.filters.http.rbac} and {@code envoy.filters.http.ext_authz} filter in istiod's authorization
 * golden files ({@code pilot/pkg/security/authz/builder/testdata/http/*-out*.yaml}) parses, through the listener
 * parser, without a NACK; a few trees are compared in full.
 */
class AuthzGoldenFilesTest {

  private static final String DIR = "istio/pilot/pkg/security/authz/builder/testdata/http";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonFormat.Parser JSON = JsonFormat.parser().usingTypeRegistry(TypeRegistry.newBuilder()
      .add(RBAC.getDescriptor())
      .add(ExtAuthz.getDescriptor())
      .add(UriTemplateMatchConfig.getDescriptor())
      .build());

  /** The filters of one golden file, in order (each file holds one or more YAML documents). */
  private static List<io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter> filters(
      Path file) {
    List<io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter> filters =
        new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      var docs = YAML.readValues(parser, com.fasterxml.jackson.databind.JsonNode.class);
      while (docs.hasNext()) {
        var doc = docs.next();
        if (doc == null || doc.isNull() || doc.isEmpty()) {
          continue;
        }
        var builder = io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter
            .newBuilder();
        JSON.merge(doc.toString(), builder);
        filters.add(builder.build());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(file.toString(), e);
    }
    return filters;
  }

  /** A listener whose HTTP connection manager runs {@code filters} then the router. */
  private static Listener listener(
      List<io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter> filters) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("s")
        .setRds(Rds.newBuilder().setRouteConfigName("r"))
        .addAllHttpFilters(filters)
        .addHttpFilters(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter
            .newBuilder().setName(ListenerParser.ROUTER_FILTER).setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder()
        .setName("l")
        .setAddress(io.envoyproxy.envoy.config.core.v3.Address.newBuilder().setSocketAddress(
            io.envoyproxy.envoy.config.core.v3.SocketAddress.newBuilder().setAddress("0.0.0.0").setPortValue(80)))
        .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
            .setName(ListenerParser.HCM_FILTER).setTypedConfig(Any.pack(hcm))))
        .build();
  }

  private static HttpConnectionManagerConfig parse(Path file) {
    var result = ProtoYaml.parseAll(ListenerParser.INSTANCE, listener(filters(file)));
    assertThat(result.errors()).as(file.getFileName().toString()).isEmpty();
    return result.resources().get("l").config().filterChains().get(0).http();
  }

  private static List<Path> goldenFiles() {
    Path dir = Corpus.file(DIR);
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches(".*-out\\d*\\.yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void everyGoldenFilter_parsesWithoutNack() throws InvalidProtocolBufferException {
    List<Path> files = goldenFiles();
    assertThat(files).hasSizeGreaterThanOrEqualTo(29);
    int rbac = 0;
    int extAuthz = 0;
    for (Path file : files) {
      var protos = filters(file);
      assertThat(protos).as(file.getFileName().toString()).isNotEmpty();
      HttpConnectionManagerConfig http = parse(file);
      assertThat(http.httpFilters()).hasSize(protos.size() + 1);
      for (int i = 0; i < protos.size(); i++) {
        HttpFilter kind = http.httpFilters().get(i);
        assertThat(kind.envoyName()).isEqualTo(protos.get(i).getName());
        assertThat(http.filterConfigs().get(i)).isInstanceOf(kind.configType());
        if (kind == HttpFilter.RBAC) {
          rbac++;
          // every policy of the proto made it into the model, in Envoy's (name) order
          RBAC proto = protos.get(i).getTypedConfig().unpack(RBAC.class);
          RbacConfig config = (RbacConfig) http.filterConfigs().get(i);
          if (proto.hasRules()) {
            assertThat(config.rules().policies().keySet())
                .containsExactlyElementsOf(new java.util.TreeSet<>(proto.getRules().getPoliciesMap().keySet()));
          }
          if (proto.hasShadowRules()) {
            assertThat(config.shadowRules().policies()).hasSameSizeAs(proto.getShadowRules().getPoliciesMap());
          }
        } else {
          extAuthz++;
        }
      }
    }
    assertThat(rbac).isGreaterThanOrEqualTo(26);
    assertThat(extAuthz).isGreaterThanOrEqualTo(3);
  }

  @Test
  void customGrpcProvider_extAuthz_isIstiodsConfig() {
    HttpConnectionManagerConfig http = parse(Corpus.file(DIR + "/custom-grpc-provider-out2.yaml"));

    ExtAuthzConfig config = (ExtAuthzConfig) http.filterConfigs().get(0);
    assertThat(config.service()).isEqualTo(new ExtAuthzConfig.Grpc(
        "outbound|9000||my-custom-ext-authz.foo.svc.cluster.local", "my-custom-ext-authz.foo.svc.cluster.local"));
    assertThat(config.timeout()).isEqualTo(java.time.Duration.ofMillis(2));
    assertThat(config.failureModeAllow()).isTrue();
    assertThat(config.statusOnError()).isEqualTo(403);
    assertThat(config.maxRequestBytes()).isEqualTo(4096);
    assertThat(config.allowPartialMessage()).isTrue();
    assertThat(config.filterEnabledMetadata()).isEqualTo(new MetadataMatcher("envoy.filters.http.rbac",
        List.of("istio_ext_authz_shadow_effective_policy_id"),
        new ValueMatcher.StringMatch(StringMatcher.prefix("istio-ext-authz-default", false)), false));
  }

  @Test
  void customHttpProvider_shadowRbac_isIstiodsConfig() {
    HttpConnectionManagerConfig http = parse(Corpus.file(DIR + "/custom-http-provider-out1.yaml"));

    RbacConfig config = (RbacConfig) http.filterConfigs().get(0);
    assertThat(config.rules()).isNull();
    assertThat(config.shadowRulesStatPrefix()).isEqualTo("istio_ext_authz_");
    assertThat(config.shadowRules().action()).isEqualTo(RbacRules.Action.DENY);
    assertThat(config.shadowRules().policies()).containsEntry(
        "istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]",
        new RbacPolicy(
            List.of(new Permission.And(List.of(new Permission.Or(List.of(
                new Permission.UrlPath(StringMatcher.exact("/httpbin1", false))))))),
            List.of(new Principal.And(List.of(new Principal.Any())))));
  }

  @Test
  void customHttpProvider_extAuthz_isIstiodsConfig() {
    HttpConnectionManagerConfig http = parse(Corpus.file(DIR + "/custom-http-provider-out2.yaml"));

    ExtAuthzConfig config = (ExtAuthzConfig) http.filterConfigs().get(0);
    ExtAuthzConfig.Http service = (ExtAuthzConfig.Http) config.service();
    assertThat(service.cluster()).isEqualTo("outbound|9000||my-custom-ext-authz.foo.svc.cluster.local");
    assertThat(service.authority()).isEqualTo("my-custom-ext-authz.foo.svc.cluster.local");
    assertThat(service.pathPrefix()).isEqualTo("/check");
    assertThat(service.headersToAdd()).containsExactly(Map.entry("x-header-1", "value-1"),
        Map.entry("x-header-2", "value-2"));
    assertThat(service.allowedUpstreamHeaders()).containsExactly(StringMatcher.exact("Authorization", true),
        StringMatcher.prefix("x-prefix-", true), StringMatcher.suffix("-suffix", true));
    assertThat(service.allowedClientHeaders()).hasSize(3);
    assertThat(service.allowedClientHeadersOnSuccess()).hasSize(3);
    assertThat(config.allowedHeaders()).containsExactly(StringMatcher.exact("x-custom-id", true),
        StringMatcher.prefix("x-prefix-", true), StringMatcher.suffix("-suffix", true));
    assertThat(config.timeout()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(config.maxRequestBytes()).isEqualTo(2048);
  }

  @Test
  void allowFullRule_leavesAreIstiods() {
    HttpConnectionManagerConfig http = parse(Corpus.file(DIR + "/allow-full-rule-out.yaml"));

    RbacConfig config = (RbacConfig) http.filterConfigs().get(0);
    assertThat(config.rules().action()).isEqualTo(RbacRules.Action.ALLOW);
    List<Object> leaves = new ArrayList<>();
    for (RbacPolicy policy : config.rules().policies().values()) {
      policy.permissions().forEach(p -> collect(p, leaves));
      policy.principals().forEach(p -> collect(p, leaves));
    }
    assertThat(leaves).contains(
        new Permission.UriTemplate("/path/template/*"),
        new Permission.UriTemplate("/**/path/template"),
        new Principal.Authenticated(StringMatcher.exact("spiffe://principal", false)),
        new Principal.Metadata(new MetadataMatcher("envoy.filters.http.jwt_authn", List.of("payload", "iss"),
            new ValueMatcher.StringMatch(StringMatcher.exact("requestPrincipals", false)), false)));
    assertThat(leaves).hasAtLeastOneElementOfType(Permission.DestinationIp.class)
        .hasAtLeastOneElementOfType(Permission.DestinationPort.class)
        .hasAtLeastOneElementOfType(Permission.RequestedServerName.class)
        .hasAtLeastOneElementOfType(Permission.Metadata.class)
        .hasAtLeastOneElementOfType(Principal.DirectRemoteIp.class)
        .hasAtLeastOneElementOfType(Principal.RemoteIp.class)
        .hasAtLeastOneElementOfType(Permission.Header.class);
    assertThat(leaves).contains(
        new Permission.DestinationIp(new CidrRange(new byte[] {(byte) 192, (byte) 168, 10, 0}, 24)),
        new Principal.RemoteIp(new CidrRange(new byte[] {5, 6, 0, 0}, 16)));
  }

  private static void collect(Permission p, List<Object> leaves) {
    if (p instanceof Permission.And and) {
      and.rules().forEach(r -> collect(r, leaves));
    } else if (p instanceof Permission.Or or) {
      or.rules().forEach(r -> collect(r, leaves));
    } else if (p instanceof Permission.Not not) {
      collect(not.rule(), leaves);
    } else {
      leaves.add(p);
    }
  }

  private static void collect(Principal p, List<Object> leaves) {
    if (p instanceof Principal.And and) {
      and.ids().forEach(r -> collect(r, leaves));
    } else if (p instanceof Principal.Or or) {
      or.ids().forEach(r -> collect(r, leaves));
    } else if (p instanceof Principal.Not not) {
      collect(not.id(), leaves);
    } else {
      leaves.add(p);
    }
  }
}
