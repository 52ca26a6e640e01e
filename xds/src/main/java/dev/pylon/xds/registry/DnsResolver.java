package dev.pylon.xds.registry;

import com.google.common.net.InetAddresses;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.HostNames;
import dev.pylon.xds.config.ServiceEntry;
import dev.pylon.xds.config.VirtualService;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code DnsResolver} resolves the names of {@code resolution: DNS} ServiceEntries in the control plane, so the
 * gateway receives IPs over EDS and never resolves on a request thread. A name that fails to resolve keeps its last
 * result (and is warned about once until it resolves again). Blocking: call it from a dedicated thread.
 */
public final class DnsResolver {

  private static final Logger logger = LoggerFactory.getLogger(DnsResolver.class);

  /** Resolves one host name to IP address strings; the system resolver by default. */
  @FunctionalInterface
  public interface HostResolver {
    List<String> resolve(String host) throws UnknownHostException;

    static HostResolver system() {
      return host -> Arrays.stream(InetAddress.getAllByName(host)).map(InetAddress::getHostAddress).toList();
    }
  }

  private final HostResolver resolver;
  private final Set<String> failing = new HashSet<>();

  public DnsResolver(HostResolver resolver) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
  }

  /**
   * The names {@code config} needs resolved: DNS endpoint names, the hosts of DNS (and NONE) entries without endpoints,
   * and the destination hosts of VirtualServices that no Service or ServiceEntry lists: those a wildcard ServiceEntry
   * without endpoints covers, and, with {@code outboundTrafficPolicy} {@code ALLOW_ANY}, every other one (the
   * translator sends them to the addresses found here, on the destination port).
   */
  public static SortedSet<String> namesToResolve(ConfigSnapshot config) {
    SortedSet<String> names = new TreeSet<>();
    Set<String> registered = new HashSet<>();
    config.services().forEach(service -> registered.add(service.host()));
    List<ServiceEntry> wildcards = new ArrayList<>();
    for (ServiceEntry entry : config.serviceEntries()) {
      registered.addAll(entry.hosts());
      if (entry.hosts().stream().anyMatch(HostNames::isWildcard)) {
        wildcards.add(entry);
      }
      if (entry.resolution() == ServiceEntry.Resolution.STATIC) {
        continue;
      }
      if (entry.endpoints().isEmpty()) {
        entry.hosts().stream().filter(host -> !HostNames.isWildcard(host)).forEach(names::add);
      } else {
        for (ServiceEntry.WorkloadEndpoint endpoint : entry.endpoints()) {
          if (!InetAddresses.isInetAddress(endpoint.address())) {
            names.add(endpoint.address());
          }
        }
      }
    }
    boolean allowAny = !config.meshConfig().registryOnly();
    for (String host : destinationHosts(config)) {
      if (registered.contains(host) || HostNames.isWildcard(host)) {
        continue;
      }
      ServiceEntry covering = null;
      for (ServiceEntry entry : wildcards) {
        for (String pattern : entry.hosts()) {
          if (HostNames.isWildcard(pattern) && HostNames.covers(pattern, host)) {
            covering = entry;
          }
        }
      }
      if (covering != null ? covering.endpoints().isEmpty() && covering.resolution() != ServiceEntry.Resolution.STATIC
          : allowAny) {
        names.add(host);
      }
    }
    return names;
  }

  /** Every host VirtualServices route, mirror or pass TLS to. */
  private static Set<String> destinationHosts(ConfigSnapshot config) {
    Set<String> hosts = new TreeSet<>();
    for (VirtualService vs : config.virtualServices()) {
      for (VirtualService.HttpRule rule : vs.http()) {
        rule.route().forEach(destination -> hosts.add(destination.destination().host()));
        rule.mirrors().forEach(mirror -> hosts.add(mirror.destination().host()));
      }
      for (VirtualService.TlsRule rule : vs.tls()) {
        rule.route().forEach(destination -> hosts.add(destination.destination().host()));
      }
    }
    return hosts;
  }

  /** Resolves {@code names}; a name that fails keeps its entry of {@code previous}. Names not asked for are dropped. */
  public synchronized DnsTable refresh(Set<String> names, DnsTable previous) {
    Map<String, List<String>> table = new TreeMap<>();
    for (String name : new TreeSet<>(names)) {
      try {
        List<String> ips = resolver.resolve(name).stream()
            .map(ip -> InetAddresses.toAddrString(InetAddresses.forString(ip)))
            .distinct()
            .sorted()
            .toList();
        table.put(name, ips);
        if (failing.remove(name)) {
          logger.info("DNS name {} resolves again: {}", name, ips);
        }
      } catch (UnknownHostException | RuntimeException e) {
        List<String> last = previous.lookup(name);
        table.put(name, last);
        if (failing.add(name)) {
          logger.warn("DNS name {} does not resolve ({}); keeping its last addresses {}", name, e.toString(), last);
        }
      }
    }
    failing.retainAll(names);
    return DnsTable.of(table);
  }
}
