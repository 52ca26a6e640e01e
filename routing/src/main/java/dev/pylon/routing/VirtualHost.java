package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A virtual host: the domains it serves and its routes in first-match order.
 *
 * @param requireTls Envoy {@code require_tls: ALL} (Istio {@code httpsRedirect}): a request that did not arrive over
 *     TLS is answered with a 301 to the same URL with {@code https}
 * @param domains Envoy domain patterns: exact ({@code foo.com}), suffix wildcard ({@code *.foo.com}), prefix wildcard
 *     ({@code foo.*}) or {@code *}; a {@code :port} or {@code :*} suffix is accepted and ignored, since the gateway
 *     matches the authority without its port
 */
public record VirtualHost(String name, List<String> domains, List<Route> routes, boolean requireTls) {

  public VirtualHost {
    requireNonNull(name, "name");
    domains = List.copyOf(domains);
    routes = List.copyOf(routes);
  }

  /** A virtual host that accepts plaintext requests. */
  public VirtualHost(String name, List<String> domains, List<Route> routes) {
    this(name, domains, routes, false);
  }

  /** The first route whose match holds, or {@code null}. */
  public Route match(RequestView request) {
    for (int i = 0, n = routes.size(); i < n; i++) {
      Route r = routes.get(i);
      if (r.match().matches(request)) {
        return r;
      }
    }
    return null;
  }
}
