package dev.pylon.xds.config;

import java.util.List;

/**
 * A {@code Pod}, read only for its labels ({@link ResourceMeta#labels()}) and IPs, to label endpoints, and its service
 * account, the identity its endpoints present in the mesh.
 */
public record KubePod(ResourceMeta meta, List<String> ips, String serviceAccount) implements ConfigResource {

  /** The account a Pod runs as when its spec names none. */
  public static final String DEFAULT_SERVICE_ACCOUNT = "default";

  public KubePod {
    ips = List.copyOf(ips);
    serviceAccount = serviceAccount == null || serviceAccount.isEmpty() ? DEFAULT_SERVICE_ACCOUNT : serviceAccount;
  }

  public KubePod(ResourceMeta meta, List<String> ips) {
    this(meta, ips, DEFAULT_SERVICE_ACCOUNT);
  }
}
