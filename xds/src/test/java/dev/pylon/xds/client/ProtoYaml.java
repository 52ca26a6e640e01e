package dev.pylon.xds.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Envoy resources written as YAML (proto JSON mapping), as in Envoy's own config tests. */
final class ProtoYaml {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().usingTypeRegistry(TypeRegistry.newBuilder()
      .add(HttpConnectionManager.getDescriptor())
      .add(Router.getDescriptor())
      .add(Cors.getDescriptor())
      .add(CorsPolicy.getDescriptor())
      .add(HTTPFault.getDescriptor())
      .add(PreviousHostsPredicate.getDescriptor())
      .add(HttpProtocolOptions.getDescriptor())
      .add(TcpProxy.getDescriptor())
      .add(TlsInspector.getDescriptor())
      .add(DownstreamTlsContext.getDescriptor())
      .add(UpstreamTlsContext.getDescriptor())
      .add(JwtAuthentication.getDescriptor())
      .add(RBAC.getDescriptor())
      .add(ExtAuthz.getDescriptor())
      .add(Buffer.getDescriptor())
      .add(BufferPerRoute.getDescriptor())
      .add(UriTemplateMatchConfig.getDescriptor())
      .build());

  private ProtoYaml() {}

  static Listener listener(String yaml) {
    return parse(yaml, Listener.newBuilder()).build();
  }

  static RouteConfiguration routeConfiguration(String yaml) {
    return parse(yaml, RouteConfiguration.newBuilder()).build();
  }

  static Cluster cluster(String yaml) {
    return parse(yaml, Cluster.newBuilder()).build();
  }

  static Secret secret(String yaml) {
    return parse(yaml, Secret.newBuilder()).build();
  }

  static ClusterLoadAssignment assignment(String yaml) {
    return parse(yaml, ClusterLoadAssignment.newBuilder()).build();
  }

  /** A message of {@code builder}'s type from YAML (or JSON). */
  @SuppressWarnings("unchecked")
  static <M extends Message> M message(String yaml, Message.Builder builder) {
    return (M) parse(yaml, builder).build();
  }

  /** Merges {@code yaml} into {@code builder}: a compact way to change a few fields of a message. */
  @SuppressWarnings("unchecked")
  static <B extends Message.Builder> B merge(String yaml, B builder) {
    // protobuf merge semantics: scalars and oneofs replaced, messages merged, repeated fields appended
    return (B) builder.mergeFrom(parse(yaml, builder.getDefaultInstanceForType().newBuilderForType()).build());
  }

  /** The errors of parsing {@code resources} as one response. */
  static <T> XdsResourceType.ParsedResources<T> parseAll(XdsResourceType<?, T> type, Message... resources) {
    return type.parseAll(List.of(resources).stream().map(Any::pack).toList());
  }

  private static <B extends Message.Builder> B parse(String yaml, B builder) {
    try {
      PARSER.merge(YAML.readTree(yaml).toString(), builder);
      return builder;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
