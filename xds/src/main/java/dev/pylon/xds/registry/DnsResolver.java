package dev.pylon.xds.registry;

import com.google.common.net.InetAddresses;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.ServiceEntry;
import java.net.InetAddress;
import java.net.UnknownHostException;
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

  /** The names {@code config} needs resolved: DNS endpoint names, or the hosts of DNS entries without endpoints. */
  public static SortedSet<String> namesToResolve(ConfigSnapshot config) {
    SortedSet<String> names = new TreeSet<>();
    for (ServiceEntry entry : config.serviceEntries()) {
      if (entry.resolution() == ServiceEntry.Resolution.STATIC) {
        continue;
      }
      if (entry.endpoints().isEmpty()) {
        names.addAll(entry.hosts());
      } else {
        for (ServiceEntry.WorkloadEndpoint endpoint : entry.endpoints()) {
          if (!InetAddresses.isInetAddress(endpoint.address())) {
            names.add(endpoint.address());
          }
        }
      }
    }
    return names;
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
