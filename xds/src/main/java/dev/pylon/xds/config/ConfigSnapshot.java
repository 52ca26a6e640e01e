package dev.pylon.xds.config;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code ConfigSnapshot} is an immutable view of the config directory at one point: the resources in force (valid
 * documents, plus the previous good version of resources whose current document is rejected), the rejections and the
 * documents skipped because Pylon does not read their kind. Typed views are sorted by namespace, then name. It also
 * holds the certificate files the resources in force name ({@link #credentialFiles()}: validated PEM text, by path as
 * written), read with the documents so that a file that goes bad leaves its last good content in force.
 */
public final class ConfigSnapshot {

  public static final ConfigSnapshot EMPTY = new ConfigSnapshot(new TreeMap<>(), List.of(), List.of());

  private final SortedMap<ResourceKey, ConfigResource> resources;
  private final List<Rejection> rejections;
  private final List<SkippedDocument> skipped;
  private final SortedMap<String, String> credentialFiles;
  private final SortedSet<Path> watchedFiles;

  ConfigSnapshot(SortedMap<ResourceKey, ConfigResource> resources, List<Rejection> rejections,
      List<SkippedDocument> skipped) {
    this(resources, rejections, skipped, new TreeMap<>(), new TreeSet<>());
  }

  ConfigSnapshot(SortedMap<ResourceKey, ConfigResource> resources, List<Rejection> rejections,
      List<SkippedDocument> skipped, SortedMap<String, String> credentialFiles, SortedSet<Path> watchedFiles) {
    this.resources = Collections.unmodifiableSortedMap(new TreeMap<>(resources));
    this.rejections = List.copyOf(rejections);
    this.skipped = List.copyOf(skipped);
    this.credentialFiles = Collections.unmodifiableSortedMap(new TreeMap<>(credentialFiles));
    this.watchedFiles = Collections.unmodifiableSortedSet(new TreeSet<>(watchedFiles));
  }

  /** A snapshot of exactly these resources, for tests and for callers that build config in memory. */
  public static ConfigSnapshot of(Collection<? extends ConfigResource> resources) {
    SortedMap<ResourceKey, ConfigResource> map = new TreeMap<>();
    for (ConfigResource resource : resources) {
      map.put(resource.key(), resource);
    }
    return new ConfigSnapshot(map, List.of(), List.of());
  }

  public Collection<ConfigResource> resources() {
    return resources.values();
  }

  public Optional<ConfigResource> get(ResourceKey key) {
    return Optional.ofNullable(resources.get(key));
  }

  public List<IstioGateway> gateways() {
    return ofType(IstioGateway.class);
  }

  public List<VirtualService> virtualServices() {
    return ofType(VirtualService.class);
  }

  public List<DestinationRule> destinationRules() {
    return ofType(DestinationRule.class);
  }

  public List<ServiceEntry> serviceEntries() {
    return ofType(ServiceEntry.class);
  }

  public List<KubeService> services() {
    return ofType(KubeService.class);
  }

  public List<KubeEndpointSlice> endpointSlices() {
    return ofType(KubeEndpointSlice.class);
  }

  public List<KubeEndpoints> endpoints() {
    return ofType(KubeEndpoints.class);
  }

  public List<KubePod> pods() {
    return ofType(KubePod.class);
  }

  public List<KubeNamespace> namespaces() {
    return ofType(KubeNamespace.class);
  }

  /** Gateway API {@code Gateway}s. */
  public List<KubeGateway> kubeGateways() {
    return ofType(KubeGateway.class);
  }

  public List<HttpRoute> httpRoutes() {
    return ofType(HttpRoute.class);
  }

  public List<ReferenceGrant> referenceGrants() {
    return ofType(ReferenceGrant.class);
  }

  public List<GatewayClass> gatewayClasses() {
    return ofType(GatewayClass.class);
  }

  /** {@code security.istio.io} AuthorizationPolicies. */
  public List<AuthorizationPolicy> authorizationPolicies() {
    return ofType(AuthorizationPolicy.class);
  }

  public List<KubeSecret> secrets() {
    return ofType(KubeSecret.class);
  }

  /** The Secret {@code namespace/name}, if the config has it. */
  public Optional<KubeSecret> secret(String namespace, String name) {
    return get(new ResourceKey(ResourceParser.SECRET, namespace, name)).map(KubeSecret.class::cast);
  }

  /** Istio's plug-in CA Secret {@code istio-system/cacerts}, if the config has it. */
  public Optional<KubeSecret> plugInCa() {
    return secret(MeshConfig.NAMESPACE, CoreParser.PLUG_IN_CA);
  }

  /** The mesh config ConfigMap {@code istio-system/istio}, or {@link MeshConfig#DEFAULT} when there is none. */
  public MeshConfig meshConfig() {
    return get(new ResourceKey(ResourceParser.CONFIG_MAP, MeshConfig.NAMESPACE, MeshConfig.NAME))
        .map(MeshConfig.class::cast).orElse(MeshConfig.DEFAULT);
  }

  /** The ConfigMap {@code istio-system/pylon}, or {@link PylonSettings#DEFAULT} when there is none. */
  public PylonSettings pylonSettings() {
    return get(new ResourceKey(ResourceParser.CONFIG_MAP, PylonSettings.NAMESPACE, PylonSettings.NAME))
        .map(PylonSettings.class::cast).orElse(PylonSettings.DEFAULT);
  }

  public List<RequestAuthentication> requestAuthentications() {
    return ofType(RequestAuthentication.class);
  }

  public List<PeerAuthentication> peerAuthentications() {
    return ofType(PeerAuthentication.class);
  }

  /**
   * The certificate, key and CA files named by the Gateways and DestinationRules in force ({@code serverCertificate},
   * {@code clientCertificate}, {@code privateKey}, {@code caCertificates}): validated PEM text by path as written.
   */
  public SortedMap<String, String> credentialFiles() {
    return credentialFiles;
  }

  /** Every certificate file path named by a document (absolute), readable or not: the files a watcher watches. */
  public SortedSet<Path> watchedFiles() {
    return watchedFiles;
  }

  /** Rejections in {@link Rejection#ORDER}. */
  public List<Rejection> rejections() {
    return rejections;
  }

  public List<String> rejectionMessages() {
    return rejections.stream().map(Rejection::message).toList();
  }

  /** Documents of kinds Pylon does not read, in file order. */
  public List<SkippedDocument> skipped() {
    return skipped;
  }

  private <T extends ConfigResource> List<T> ofType(Class<T> type) {
    // the map is ordered by kind, then namespace, then name, so each kind comes out in namespace/name order
    return resources.values().stream().filter(type::isInstance).map(type::cast).toList();
  }
}
