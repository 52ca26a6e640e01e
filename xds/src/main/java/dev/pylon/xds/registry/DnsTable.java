package dev.pylon.xds.registry;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** The IP addresses each DNS name resolved to, as last resolved by {@link DnsResolver}; addresses are sorted. */
public record DnsTable(SortedMap<String, List<String>> addresses) {

  public static final DnsTable EMPTY = new DnsTable(new TreeMap<>());

  public DnsTable {
    TreeMap<String, List<String>> copy = new TreeMap<>();
    addresses.forEach((name, ips) -> copy.put(name, List.copyOf(ips)));
    addresses = java.util.Collections.unmodifiableSortedMap(copy);
  }

  public static DnsTable of(Map<String, List<String>> addresses) {
    return new DnsTable(new TreeMap<>(addresses));
  }

  /** The addresses of {@code name}; empty when it was never resolved. */
  public List<String> lookup(String name) {
    return addresses.getOrDefault(name, List.of());
  }
}
