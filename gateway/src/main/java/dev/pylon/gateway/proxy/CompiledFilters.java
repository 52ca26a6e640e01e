package dev.pylon.gateway.proxy;

import dev.pylon.gateway.authz.JwtAuthn;
import dev.pylon.gateway.authz.RbacFilter;
import dev.pylon.routing.rbac.RbacConfig;
import dev.pylon.xds.client.ExtAuthzConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.JwtAuthnConfig;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security filters of a listener's HTTP chain, compiled once per configuration and shared by all event loops:
 * {@link JwtAuthn} for {@code jwt_authn}, {@link RbacFilter} for {@code rbac}, the {@link ExtAuthzConfig} itself for
 * {@code ext_authz}; indexed like {@link HttpConnectionManagerConfig#httpFilters()}. A filter whose configuration
 * cannot be compiled (the xDS client should have refused it) fails closed: its requests get a 500 naming nothing of
 * the configuration, and the reason is logged once.
 */
final class CompiledFilters {

  private static final Logger log = LoggerFactory.getLogger(CompiledFilters.class);
  static final CompiledFilters NONE = new CompiledFilters(new Object[0], false);
  // keyed by the configuration record (equal configurations of successive snapshots share one compilation); weak so
  // that the configurations of dropped snapshots go
  private static final Map<HttpConnectionManagerConfig, CompiledFilters> CACHE = new WeakHashMap<>();

  /** Per filter index: the compiled filter, a {@link Failed}, or {@code null} for filters without configuration. */
  private final Object[] compiled;
  /** Whether any filter runs before routing can be final (jwt_authn, rbac, ext_authz). */
  final boolean security;

  private CompiledFilters(Object[] compiled, boolean security) {
    this.compiled = compiled;
    this.security = security;
  }

  /** The compiled filters of {@code http}, from the cache or compiled now (off the request path: per snapshot). */
  static CompiledFilters of(HttpConnectionManagerConfig http) {
    List<HttpFilter> filters = http.httpFilters();
    boolean any = false;
    for (HttpFilter f : filters) {
      any |= f == HttpFilter.JWT_AUTHN || f == HttpFilter.RBAC || f == HttpFilter.EXT_AUTHZ;
    }
    if (!any) {
      return NONE;
    }
    synchronized (CACHE) {
      CompiledFilters c = CACHE.get(http);
      if (c == null) {
        c = compile(http);
        CACHE.put(http, c);
      }
      return c;
    }
  }

  private static CompiledFilters compile(HttpConnectionManagerConfig http) {
    List<HttpFilter> filters = http.httpFilters();
    Object[] compiled = new Object[filters.size()];
    for (int i = 0; i < compiled.length; i++) {
      Object config = http.filterConfigs().get(i);
      try {
        compiled[i] = switch (filters.get(i)) {
          case JWT_AUTHN -> JwtAuthn.compile((JwtAuthnConfig) config);
          case RBAC -> RbacFilter.compile((RbacConfig) config);
          case EXT_AUTHZ -> (ExtAuthzConfig) config;
          default -> null;
        };
      } catch (RuntimeException e) {
        log.error("listener {}: HTTP filter {} ({}) cannot be used, its requests are refused with 500: {}",
            http.statPrefix(), i, filters.get(i).envoyName(), e.getMessage());
        compiled[i] = new Failed(e.getMessage());
      }
    }
    return new CompiledFilters(compiled, true);
  }

  /** The compiled filter at {@code index} ({@link JwtAuthn}, {@link RbacFilter}, {@link ExtAuthzConfig}, {@link
   * Failed}). */
  Object at(int index) {
    return compiled[index];
  }

  /** A filter that could not be compiled. */
  record Failed(String reason) {}
}
