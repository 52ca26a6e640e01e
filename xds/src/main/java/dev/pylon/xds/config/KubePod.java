package dev.pylon.xds.config;

import java.util.List;

/** A {@code Pod}, read only for its labels ({@link ResourceMeta#labels()}) and IPs, to label endpoints. */
public record KubePod(ResourceMeta meta, List<String> ips) implements ConfigResource {

  public KubePod {
    ips = List.copyOf(ips);
  }
}
