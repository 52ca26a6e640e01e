package dev.pylon.xds.translate;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The Envoy v3 resources of one gateway identity (listeners and route configurations by port, clusters and load
 * assignments by name, the SDS secrets they name), plus the translator's warnings (destinations it could not find,
 * ...). {@link #version()} is a hash of the resources: equal resources, equal version. The mesh secrets
 * ({@link Translator#MESH_CERTIFICATE_SECRET}, {@link Translator#MESH_ROOT_SECRET}) are named but not made by the
 * translator: the control plane's CA adds them ({@link #withSecrets}). {@link #toString()} and {@link #toJson()} never
 * show private keys.
 */
public record XdsResources(List<Listener> listeners, List<RouteConfiguration> routes, List<Cluster> clusters,
    List<ClusterLoadAssignment> endpoints, List<Secret> secrets, List<String> warnings) {

  private static final String REDACTED = "[redacted]";
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(HttpConnectionManager.getDescriptor())
      .add(Router.getDescriptor())
      .add(HTTPFault.getDescriptor())
      .add(Cors.getDescriptor())
      .add(CorsPolicy.getDescriptor())
      .add(PreviousHostsPredicate.getDescriptor())
      .add(HttpProtocolOptions.getDescriptor())
      .add(TlsInspector.getDescriptor())
      .add(TcpProxy.getDescriptor())
      .add(DownstreamTlsContext.getDescriptor())
      .add(UpstreamTlsContext.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig.getDescriptor())
      .build();
  private static final ObjectMapper JSON = new ObjectMapper();

  public XdsResources {
    listeners = List.copyOf(listeners);
    routes = List.copyOf(routes);
    clusters = List.copyOf(clusters);
    endpoints = List.copyOf(endpoints);
    secrets = List.copyOf(secrets);
    warnings = List.copyOf(warnings);
  }

  /** Resources without secrets. */
  public XdsResources(List<Listener> listeners, List<RouteConfiguration> routes, List<Cluster> clusters,
      List<ClusterLoadAssignment> endpoints, List<String> warnings) {
    this(listeners, routes, clusters, endpoints, List.of(), warnings);
  }

  /** These resources with {@code more} secrets (the mesh certificate and root), sorted by name with the others. */
  public XdsResources withSecrets(List<Secret> more) {
    List<Secret> all = new ArrayList<>(secrets);
    all.addAll(more);
    all.sort(java.util.Comparator.comparing(Secret::getName));
    return new XdsResources(listeners, routes, clusters, endpoints, all, warnings);
  }

  /** The SDS secret names the listeners and clusters use, sorted. */
  public Set<String> referencedSecrets() {
    Set<String> names = new TreeSet<>();
    for (Listener listener : listeners) {
      for (FilterChain chain : listener.getFilterChainsList()) {
        if (chain.hasTransportSocket() && chain.getTransportSocket().getTypedConfig().is(DownstreamTlsContext.class)) {
          addNames(unpack(chain.getTransportSocket().getTypedConfig(), DownstreamTlsContext.class)
              .getCommonTlsContext(), names);
        }
      }
    }
    for (Cluster cluster : clusters) {
      if (cluster.hasTransportSocket() && cluster.getTransportSocket().getTypedConfig().is(UpstreamTlsContext.class)) {
        addNames(unpack(cluster.getTransportSocket().getTypedConfig(), UpstreamTlsContext.class)
            .getCommonTlsContext(), names);
      }
    }
    return names;
  }

  /** Whether the listeners or clusters use the mesh certificate or root (which the CA must then provide). */
  public boolean usesMeshSecrets() {
    Set<String> names = referencedSecrets();
    return names.contains(Translator.MESH_CERTIFICATE_SECRET) || names.contains(Translator.MESH_ROOT_SECRET);
  }

  private static void addNames(CommonTlsContext common, Set<String> names) {
    common.getTlsCertificateSdsSecretConfigsList().stream().map(SdsSecretConfig::getName).forEach(names::add);
    if (common.hasValidationContextSdsSecretConfig()) {
      names.add(common.getValidationContextSdsSecretConfig().getName());
    }
    if (common.hasCombinedValidationContext()
        && common.getCombinedValidationContext().hasValidationContextSdsSecretConfig()) {
      names.add(common.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName());
    }
  }

  private static <T extends Message> T unpack(com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * References that do not resolve: a listener naming a missing route configuration, a route or mirror policy naming
   * a missing cluster (other than {@link Translator#INVALID_BACKEND_CLUSTER}, missing on purpose), a cluster without
   * its load assignment. Empty for every translator output; checked before publishing.
   * (java-control-plane's own {@code ensureConsistent} only recognizes the legacy filter name
   * {@code envoy.http_connection_manager}, so it cannot check these listeners.)
   */
  public List<String> danglingReferences() {
    Set<String> routeNames = routes.stream().map(RouteConfiguration::getName).collect(Collectors.toSet());
    Set<String> clusterNames = clusters.stream().map(Cluster::getName).collect(Collectors.toSet());
    Set<String> assignmentNames =
        endpoints.stream().map(ClusterLoadAssignment::getClusterName).collect(Collectors.toSet());
    List<String> problems = new ArrayList<>();
    for (Listener listener : listeners) {
      for (FilterChain chain : listener.getFilterChainsList()) {
        for (Filter filter : chain.getFiltersList()) {
          if (filter.getTypedConfig().is(TcpProxy.class)) {
            TcpProxy tcp = unpack(filter.getTypedConfig(), TcpProxy.class);
            List<String> targets = new ArrayList<>();
            if (!tcp.getCluster().isEmpty()) {
              targets.add(tcp.getCluster());
            }
            tcp.getWeightedClusters().getClustersList().forEach(weight -> targets.add(weight.getName()));
            for (String target : targets) {
              if (!clusterNames.contains(target)) {
                problems.add("listener " + listener.getName() + " proxies TCP to missing cluster " + target);
              }
            }
            continue;
          }
          if (!filter.getTypedConfig().is(HttpConnectionManager.class)) {
            continue;
          }
          HttpConnectionManager hcm = unpack(filter.getTypedConfig(), HttpConnectionManager.class);
          String routeName = hcm.getRds().getRouteConfigName();
          if (!routeNames.contains(routeName)) {
            problems.add("listener " + listener.getName() + " names missing route configuration " + routeName);
          }
          for (String target : AuthorizationFilters.extAuthzClusters(hcm.getHttpFiltersList())) {
            if (!clusterNames.contains(target)) {
              problems.add("listener " + listener.getName() + " sends ext_authz checks to missing cluster " + target);
            }
          }
        }
      }
    }
    for (RouteConfiguration routeConfiguration : routes) {
      for (VirtualHost virtualHost : routeConfiguration.getVirtualHostsList()) {
        for (Route route : virtualHost.getRoutesList()) {
          List<String> targets = new ArrayList<>();
          if (!route.getRoute().getCluster().isEmpty()) {
            targets.add(route.getRoute().getCluster());
          }
          route.getRoute().getWeightedClusters().getClustersList().forEach(weight -> targets.add(weight.getName()));
          route.getRoute().getRequestMirrorPoliciesList().stream().map(RouteAction.RequestMirrorPolicy::getCluster)
              .forEach(targets::add);
          for (String target : targets) {
            if (!clusterNames.contains(target) && !target.equals(Translator.INVALID_BACKEND_CLUSTER)) {
              problems.add("route configuration " + routeConfiguration.getName() + " names missing cluster " + target);
            }
          }
        }
      }
    }
    for (Cluster cluster : clusters) {
      if (!assignmentNames.contains(cluster.getEdsClusterConfig().getServiceName())) {
        problems.add("cluster " + cluster.getName() + " has no load assignment");
      }
    }
    Set<String> secretNames = secrets.stream().map(Secret::getName).collect(Collectors.toSet());
    for (String name : referencedSecrets()) {
      if (!secretNames.contains(name) && !name.equals(Translator.MESH_CERTIFICATE_SECRET)
          && !name.equals(Translator.MESH_ROOT_SECRET)) {
        problems.add("secret " + name + " is named but not served");
      }
    }
    return problems;
  }

  /** 16 hex digits of a SHA-256 over the deterministic serialization of every resource. */
  public String version() {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    hash(digest, "listeners", listeners);
    hash(digest, "routes", routes);
    hash(digest, "clusters", clusters);
    hash(digest, "endpoints", endpoints);
    if (!secrets.isEmpty()) {
      hash(digest, "secrets", secrets); // resources without secrets keep the versions they had before SDS
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 8);
  }

  private static void hash(MessageDigest digest, String type, List<? extends Message> messages) {
    digest.update(type.getBytes(StandardCharsets.UTF_8));
    for (Message message : messages) {
      byte[] bytes = deterministicBytes(message);
      digest.update(CodedOutputStreamHelper.varint(bytes.length));
      digest.update(bytes);
    }
  }

  private static byte[] deterministicBytes(Message message) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CodedOutputStream coded = CodedOutputStream.newInstance(out);
      coded.useDeterministicSerialization(); // map entries in key order, so equal messages hash alike
      message.writeTo(coded);
      coded.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** All resources as pretty-printed JSON (proto3 JSON mapping), for golden tests and config dumps. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", version());
    add(root.putArray("listeners"), listeners);
    add(root.putArray("routes"), routes);
    add(root.putArray("clusters"), clusters);
    add(root.putArray("endpoints"), endpoints);
    if (!secrets.isEmpty()) {
      add(root.putArray("secrets"), secrets.stream().map(XdsResources::redacted).toList());
    }
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
        .withObjectIndenter(new DefaultIndenter("  ", "\n"))
        .withArrayIndenter(new DefaultIndenter("  ", "\n"));
    try {
      return JSON.writer(printer).writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void add(ArrayNode array, List<? extends Message> messages) {
    JsonFormat.Printer printer = JsonFormat.printer().usingTypeRegistry(TYPES);
    for (Message message : messages) {
      try {
        array.add(JSON.readTree(printer.print(message)));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName(), e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A secret with its private key replaced by {@code [redacted]}. */
  static Secret redacted(Secret secret) {
    if (!secret.hasTlsCertificate() || !secret.getTlsCertificate().hasPrivateKey()) {
      return secret;
    }
    Secret.Builder copy = secret.toBuilder();
    copy.getTlsCertificateBuilder().getPrivateKeyBuilder().setInlineString(REDACTED);
    return copy.build();
  }

  @Override
  public String toString() {
    return "XdsResources[version " + version() + ", " + listeners.size() + " listeners, " + routes.size()
        + " route configurations, " + clusters.size() + " clusters, " + endpoints.size() + " load assignments, secrets "
        + secrets.stream().map(Secret::getName).toList() + ", " + warnings.size() + " warnings]";
  }

  private static final class CodedOutputStreamHelper {
    static byte[] varint(int value) {
      byte[] buffer = new byte[CodedOutputStream.computeUInt32SizeNoTag(value)];
      CodedOutputStream coded = CodedOutputStream.newInstance(buffer);
      try {
        coded.writeUInt32NoTag(value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return buffer;
    }
  }
}
