package dev.pylon.xds.server;

import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.SkippedDocument;
import dev.pylon.xds.registry.DnsResolver;
import dev.pylon.xds.registry.DnsTable;
import dev.pylon.xds.registry.ServiceRegistry;
import dev.pylon.xds.translate.GatewayIdentity;
import dev.pylon.xds.translate.JwtAuthn;
import dev.pylon.xds.translate.Translator;
import dev.pylon.xds.translate.XdsResources;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ControlPlane} serves the config of a directory over ADS, as istiod serves a cluster's: it loads the directory,
 * watches it, resolves DNS ServiceEntries in the background, and keeps one java-control-plane snapshot per gateway
 * identity ({@link NodeIdentities}). A group's snapshot is computed when its first request arrives, and every group's
 * again after each change; the version is a hash of the resources, so an edit that changes nothing pushes nothing.
 *
 * <p>Each snapshot carries the SDS secrets its listeners and clusters name (Secrets of the config directory and
 * certificate files it names, read by the control plane), and the gateway's mesh certificate ({@code default}) and
 * roots ({@code ROOTCA}) when they are named or the proxy asks for them ({@link MeshCertificates}); a certificate due for
 * renewal is re-issued and pushed as a new version.
 *
 * <p>Threads: config reloads run on one thread, DNS resolution on another, certificate renewals on a third, and gRPC
 * requests on gRPC's; all of them compute and publish snapshots under one lock, so snapshots are published in order.
 */
public final class ControlPlane implements AutoCloseable {

  private static final Logger logger = LoggerFactory.getLogger(ControlPlane.class);
  static final Duration DEBOUNCE = Duration.ofMillis(100);
  static final Duration RESCAN = Duration.ofSeconds(15);
  private static final Duration RENEWAL_MIN_DELAY = Duration.ofMillis(200);

  private final ControlPlaneConfig config;
  private final DnsResolver dnsResolver;
  private final NodeIdentities identities = new NodeIdentities(this::ensureGroup);
  private final SimpleCache<GatewayIdentity> cache = new SimpleCache<>(identities);
  private final ScheduledExecutorService configExecutor = singleThread("pylon-xds-config");
  private final ScheduledExecutorService dnsExecutor = singleThread("pylon-xds-dns");
  private final ScheduledExecutorService caExecutor = singleThread("pylon-xds-ca");
  private final ScheduledExecutorService jwksExecutor = singleThread("pylon-xds-jwks");
  private final JwksResolver jwks;
  private final DirectoryWatcher watcher;
  private final Clock clock;
  private Server server;

  private final Object lock = new Object();
  // guarded by lock
  private ConfigSnapshot current = ConfigSnapshot.EMPTY;
  private DnsTable dns = DnsTable.EMPTY;
  private ServiceRegistry registry = ServiceRegistry.build(ConfigSnapshot.EMPTY, DnsTable.EMPTY);
  private final Map<GatewayIdentity, String> versions = new HashMap<>();
  private final Map<GatewayIdentity, List<String>> warnings = new HashMap<>();
  private Set<String> loggedWarnings = new HashSet<>();
  private final MeshCertificates meshCertificates;
  /** Identities whose proxies asked for the mesh secrets by name (served even when no resource uses them). */
  private final Set<GatewayIdentity> meshSecretsRequested = new HashSet<>();
  private ScheduledFuture<?> renewal;
  private Instant renewalAt;
  private List<String> loggedIgnoredMeshKeys = List.of();
  // config thread only
  private Set<String> loggedRejections = new HashSet<>();
  private Set<String> loggedSkips = new HashSet<>();

  private ControlPlane(ControlPlaneConfig config, DnsResolver.HostResolver resolver, Clock clock,
      JwksResolver.Settings jwksSettings) {
    this.config = config;
    this.jwks = new JwksResolver(jwksSettings, jwksExecutor, this::jwksChanged);
    this.clock = clock;
    this.dnsResolver = new DnsResolver(resolver);
    this.watcher = new DirectoryWatcher(config.configDir(), configExecutor, this::reloadQuietly, DEBOUNCE, RESCAN);
    this.meshCertificates = new MeshCertificates(config.stateDir(), config.workloadCertTtl(), clock);
  }

  /**
   * Loads {@code config.configDir()} (bad documents are only logged), starts watching it and serves ADS on
   * {@code config.bindAddress()}:{@code config.port()}.
   *
   * @throws IOException when the directory cannot be read or the port cannot be bound
   */
  public static ControlPlane start(ControlPlaneConfig config) throws IOException {
    return start(config, DnsResolver.HostResolver.system());
  }

  static ControlPlane start(ControlPlaneConfig config, DnsResolver.HostResolver resolver) throws IOException {
    return start(config, resolver, Clock.systemUTC());
  }

  static ControlPlane start(ControlPlaneConfig config, DnsResolver.HostResolver resolver, Clock clock)
      throws IOException {
    return start(config, resolver, clock, JwksResolver.Settings.ISTIOD);
  }

  static ControlPlane start(ControlPlaneConfig config, DnsResolver.HostResolver resolver, Clock clock,
      JwksResolver.Settings jwksSettings) throws IOException {
    ControlPlane controlPlane = new ControlPlane(config, resolver, clock, jwksSettings);
    try {
      controlPlane.startServing();
    } catch (IOException | RuntimeException e) {
      controlPlane.close();
      throw e;
    }
    return controlPlane;
  }

  private void startServing() throws IOException {
    reload();
    jwks.start();
    long refreshMillis = config.dnsRefresh().toMillis();
    dnsExecutor.scheduleWithFixedDelay(this::refreshDns, 0, refreshMillis, TimeUnit.MILLISECONDS);
    watcher.start();
    V3DiscoveryServer discovery = new V3DiscoveryServer(identities, cache);
    server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.port()))
        .addService(discovery.getAggregatedDiscoveryServiceImpl())
        .addService(discovery.getListenerDiscoveryServiceImpl())
        .addService(discovery.getRouteDiscoveryServiceImpl())
        .addService(discovery.getClusterDiscoveryServiceImpl())
        .addService(discovery.getEndpointDiscoveryServiceImpl())
        .addService(discovery.getSecretDiscoveryServiceImpl())
        .build()
        .start();
    logger.info("control plane serving xDS on {}:{} from {}", config.bindAddress(), server.getPort(),
        config.configDir());
  }

  /** The bound gRPC port (the ephemeral one when configured with port 0). */
  public int port() {
    return server.getPort();
  }

  /** The current rejection messages, in file order. */
  public List<String> rejections() {
    synchronized (lock) {
      return current.rejectionMessages();
    }
  }

  /**
   * The version of the snapshot served to this gateway identity, or null when no proxy with this identity has asked
   * for one yet.
   */
  public String version(String namespace, Map<String, String> labels, String serviceAccount) {
    synchronized (lock) {
      return versions.get(GatewayIdentity.of(namespace, labels, serviceAccount));
    }
  }

  /** Stops the watcher, DNS refresh and gRPC server; open xDS streams are cancelled. */
  @Override
  public void close() {
    watcher.close();
    jwks.close();
    jwksExecutor.shutdownNow();
    configExecutor.shutdownNow();
    dnsExecutor.shutdownNow();
    caExecutor.shutdownNow();
    if (server != null) {
      // ADS streams never complete on their own: cancel them rather than wait
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- config ----

  private void reloadQuietly() {
    try {
      reload();
    } catch (IOException e) {
      logger.warn("cannot read config directory {} ({}): still serving the last config", config.configDir(),
          e.toString());
    } catch (RuntimeException e) {
      logger.error("reloading {} failed: still serving the last config", config.configDir(), e);
    }
  }

  private void reload() throws IOException {
    ConfigSnapshot previous;
    synchronized (lock) {
      previous = current;
    }
    ConfigSnapshot next = ConfigLoader.load(config.configDir(), previous);
    logNews(next);
    awaitNewKeySets(next);
    boolean needDns;
    synchronized (lock) {
      current = next;
      registry = ServiceRegistry.build(current, dns);
      meshCertificates.plugInCa(current.plugInCa().orElse(null));
      publishAll();
      needDns = !dns.addresses().keySet().containsAll(DnsResolver.namesToResolve(next));
    }
    watcher.watchFiles(next.watchedFiles());
    if (needDns && !dnsExecutor.isShutdown()) {
      dnsExecutor.execute(this::refreshDns);
    }
  }

  /**
   * Fetches the key sets of the {@code jwksUri}s new in {@code next} before it is published (as istiod fetches them
   * while pushing), so that a new RequestAuthentication does not start out rejecting every token; waits at most the
   * longest fetch timeout.
   */
  private void awaitNewKeySets(ConfigSnapshot next) {
    Map<String, JwtAuthn.JwksNeed> uris = JwtAuthn.jwksUris(next);
    long wait = uris.values().stream().mapToLong(need -> need.timeout().toMillis()).max().orElse(0) + 1000;
    try {
      jwks.want(uris).get(wait, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      logger.warn("fetching the key sets of {} did not finish in time: publishing without them", uris.keySet());
    }
  }

  /** A fetched key set changed (or was fetched for the first time): publish every identity's snapshot again. */
  private void jwksChanged() {
    synchronized (lock) {
      publishAll();
    }
  }

  private void logNews(ConfigSnapshot next) {
    Set<String> rejections = new LinkedHashSet<>(next.rejectionMessages());
    for (String rejection : rejections) {
      if (!loggedRejections.contains(rejection)) {
        logger.warn("rejected: {}", rejection);
      }
    }
    loggedRejections = rejections;
    Set<String> skips = new LinkedHashSet<>();
    for (SkippedDocument skipped : next.skipped()) {
      String message = skipped.message();
      skips.add(message);
      if (!loggedSkips.contains(message)) {
        logger.info(message);
      }
    }
    loggedSkips = skips;
    List<String> ignored = next.meshConfig().ignoredKeys();
    if (!ignored.isEmpty() && !ignored.equals(loggedIgnoredMeshKeys)) {
      logger.info("mesh config istio-system/istio: {} not read by Pylon (only trustDomain, "
          + "outboundTrafficPolicy.mode, pathNormalization, defaultConfig.gatewayTopology.numTrustedProxies and "
          + "rootNamespace are)", ignored);
    }
    loggedIgnoredMeshKeys = ignored;
  }

  private void refreshDns() {
    try {
      Set<String> names;
      DnsTable previous;
      synchronized (lock) {
        names = DnsResolver.namesToResolve(current);
        previous = dns;
      }
      DnsTable table = dnsResolver.refresh(names, previous); // blocking: outside the lock
      synchronized (lock) {
        if (!table.equals(dns)) {
          dns = table;
          registry = ServiceRegistry.build(current, dns);
          publishAll();
        }
      }
    } catch (RuntimeException e) {
      logger.error("DNS refresh failed: keeping the last addresses", e);
    }
  }

  // ---- snapshots ----

  /**
   * Computes the snapshot of a gateway identity seen for the first time, or again when its proxy first asks for the
   * mesh secrets; called before the request's watch is created.
   */
  private void ensureGroup(GatewayIdentity identity, boolean meshSecrets) {
    synchronized (lock) {
      boolean newlyRequested = meshSecrets && meshSecretsRequested.add(identity);
      if (!versions.containsKey(identity) || newlyRequested) {
        publish(identity);
        logWarnings();
        scheduleRenewal();
      }
    }
  }

  private void publishAll() {
    for (GatewayIdentity identity : List.copyOf(versions.keySet())) {
      publish(identity);
    }
    logWarnings();
    scheduleRenewal();
  }

  /** Publishes again when the earliest workload certificate is due for renewal (a renewal is a new version). */
  private void scheduleRenewal() {
    Instant next = meshCertificates.nextRenewal().orElse(null);
    if (next == null || caExecutor.isShutdown()
        || next.equals(renewalAt) && renewal != null && !renewal.isDone()) {
      return;
    }
    if (renewal != null) {
      renewal.cancel(false);
    }
    renewalAt = next;
    // never sooner than RENEWAL_MIN_DELAY: a certificate due but not re-issued must not make a busy loop
    long delay = Math.max(RENEWAL_MIN_DELAY.toMillis(), Duration.between(clock.instant(), next).toMillis());
    renewal = caExecutor.schedule(this::renewCertificates, delay, TimeUnit.MILLISECONDS);
  }

  private void renewCertificates() {
    try {
      synchronized (lock) {
        renewalAt = null;
        publishAll();
      }
    } catch (RuntimeException e) {
      logger.error("renewing workload certificates failed", e);
    }
  }

  private void publish(GatewayIdentity identity) {
    XdsResources resources = Translator.translate(current, registry, identity, config.gatewayClassName(), jwks);
    if (resources.usesMeshSecrets() || meshSecretsRequested.contains(identity)) {
      resources = resources.withSecrets(meshCertificates.secrets(identity, current.meshConfig().trustDomain()));
    } else {
      meshCertificates.forget(identity);
    }
    warnings.put(identity, resources.warnings());
    String version = resources.version();
    if (version.equals(versions.get(identity))) {
      return;
    }
    List<String> dangling = resources.danglingReferences();
    if (!dangling.isEmpty()) {
      logger.error("not publishing inconsistent snapshot {} for gateway {}: {}", version, identity, dangling);
      return;
    }
    cache.setSnapshot(identity, Snapshot.create(resources.clusters(), resources.endpoints(), resources.listeners(),
        resources.routes(), resources.secrets(), version));
    versions.put(identity, version);
    logger.info("xDS version {} for gateway {}: {} listeners, {} virtual hosts, {} clusters, {} secrets", version,
        identity, resources.listeners().size(),
        resources.routes().stream().mapToInt(route -> route.getVirtualHostsCount()).sum(),
        resources.clusters().size(), resources.secrets().size());
  }

  private void logWarnings() {
    Set<String> all = new LinkedHashSet<>();
    warnings.values().forEach(all::addAll);
    for (String warning : all) {
      if (!loggedWarnings.contains(warning)) {
        logger.warn(warning);
      }
    }
    loggedWarnings = all;
  }

  private static ScheduledExecutorService singleThread(String name) {
    return Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    });
  }
}
