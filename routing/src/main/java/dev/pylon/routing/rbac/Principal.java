package dev.pylon.routing.rbac;

import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import java.util.List;

/** Who sends a request, as Envoy's {@code config.rbac.v3.Principal}: a tree of and/or/not over leaf conditions. */
public sealed interface Principal {

  /** {@code any: true}. */
  record Any() implements Principal {}

  /** {@code and_ids}: every id matches. */
  record And(List<Principal> ids) implements Principal {
    public And {
      ids = List.copyOf(ids);
    }
  }

  /** {@code or_ids}: any id matches. */
  record Or(List<Principal> ids) implements Principal {
    public Or {
      ids = List.copyOf(ids);
    }
  }

  /** {@code not_id}. */
  record Not(Principal id) implements Principal {}

  /**
   * {@code authenticated.principal_name}: the peer's verified certificate principal ({@link
   * AuthzRequest#peerPrincipal()}); {@code matcher == null} = any authenticated peer. Never matches without one.
   */
  record Authenticated(StringMatcher matcher) implements Principal {}

  /** {@code direct_remote_ip}. */
  record DirectRemoteIp(CidrRange range) implements Principal {}

  /** {@code remote_ip}. */
  record RemoteIp(CidrRange range) implements Principal {}

  /** {@code header}. */
  record Header(HeaderMatcher matcher) implements Principal {}

  /** {@code url_path}. */
  record UrlPath(StringMatcher path) implements Principal {}

  /** {@code metadata}: e.g. the JWT payload written by {@code jwt_authn} (Istio {@code requestPrincipals}). */
  record Metadata(MetadataMatcher matcher) implements Principal {}
}
