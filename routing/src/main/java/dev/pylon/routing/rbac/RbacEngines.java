package dev.pylon.routing.rbac;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.UriTemplateMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds {@link RbacEngine}s: each policy's permission and principal trees become a tree of small final matcher
 * objects (CIDRs, templates and regexes compiled once), evaluated with Envoy's {@code config.rbac.v3} semantics:
 *
 * <ul>
 *   <li>a policy matches when any of its permissions and any of its principals match; an empty list never matches;
 *   <li>{@code and_rules} over no rules matches (as Envoy's {@code AndMatcher}), {@code or_rules} over none does not;
 *   <li>{@code url_path} and {@code uri_template} look at the path up to {@code ?} or {@code #}; {@code header}
 *       answers pseudo-headers through {@link dev.pylon.routing.RequestView#header};
 *   <li>{@code authenticated} never matches a connection without a verified peer principal;
 *   <li>policies are tried in order and the first matching id is reported.
 * </ul>
 *
 * <p>Evaluation allocates nothing, except a substring for a {@code url_path} regex when the path has a query string.
 * An {@code or} of exact, case-sensitive matches of one header (Istio's {@code methods}, {@code hosts}) or of exact
 * paths (Istio's {@code paths}) becomes one hash-set lookup.
 */
final class RbacEngines {

  private RbacEngines() {}

  static RbacEngine compile(RbacRules rules) {
    requireNonNull(rules, "rules");
    int n = rules.policies().size();
    String[] ids = new String[n];
    Node[] permissions = new Node[n];
    Node[] principals = new Node[n];
    int i = 0;
    for (Map.Entry<String, RbacPolicy> e : rules.policies().entrySet()) {
      String id = e.getKey();
      RbacPolicy policy = requireNonNull(e.getValue(), () -> "policy '" + id + "'");
      ids[i] = id;
      try {
        permissions[i] = or(policy.permissions().stream().map(RbacEngines::permission).toList());
        principals[i] = or(policy.principals().stream().map(RbacEngines::principal).toList());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("RBAC policy '" + id + "': " + ex.getMessage(), ex);
      }
      i++;
    }
    return new Compiled(rules.action(), ids, permissions, principals);
  }

  /** The compiled rule set. */
  private static final class Compiled implements RbacEngine {
    private final RbacRules.Action action;
    private final String[] ids;
    private final Node[] permissions;
    private final Node[] principals;

    Compiled(RbacRules.Action action, String[] ids, Node[] permissions, Node[] principals) {
      this.action = action;
      this.ids = ids;
      this.permissions = permissions;
      this.principals = principals;
    }

    @Override
    public RbacRules.Action action() {
      return action;
    }

    @Override
    public String firstMatch(AuthzRequest request) {
      for (int i = 0; i < ids.length; i++) {
        if (permissions[i].matches(request) && principals[i].matches(request)) {
          return ids[i];
        }
      }
      return null;
    }

    @Override
    public String toString() {
      return "RbacEngine[" + action + ", " + ids.length + " policies]";
    }
  }

  // ---- compilation ----

  static Node permission(Permission p) {
    requireNonNull(p, "permission");
    if (p instanceof Permission.Any) {
      return Always.INSTANCE;
    } else if (p instanceof Permission.And and) {
      return and(and.rules().stream().map(RbacEngines::permission).toList());
    } else if (p instanceof Permission.Or or) {
      return or(or.rules().stream().map(RbacEngines::permission).toList());
    } else if (p instanceof Permission.Not not) {
      return new NotNode(permission(not.rule()));
    } else if (p instanceof Permission.Header h) {
      return header(h.matcher());
    } else if (p instanceof Permission.UrlPath u) {
      return urlPath(u.path());
    } else if (p instanceof Permission.DestinationIp d) {
      return new AddressNode(requireNonNull(d.range(), "destination_ip"), AddressNode.DESTINATION);
    } else if (p instanceof Permission.DestinationPort d) {
      return new PortRange(d.port(), d.port() + 1);
    } else if (p instanceof Permission.DestinationPortRange d) {
      return new PortRange(d.start(), d.end());
    } else if (p instanceof Permission.RequestedServerName s) {
      return new ServerName(requireNonNull(s.matcher(), "requested_server_name"));
    } else if (p instanceof Permission.Metadata m) {
      return new MetadataNode(requireNonNull(m.matcher(), "metadata"));
    } else if (p instanceof Permission.UriTemplate t) {
      return new TemplateNode(UriTemplateMatcher.compile(requireNonNull(t.template(), "uri_template")));
    }
    throw new IllegalArgumentException("unsupported permission " + p);
  }

  static Node principal(Principal p) {
    requireNonNull(p, "principal");
    if (p instanceof Principal.Any) {
      return Always.INSTANCE;
    } else if (p instanceof Principal.And and) {
      return and(and.ids().stream().map(RbacEngines::principal).toList());
    } else if (p instanceof Principal.Or or) {
      return or(or.ids().stream().map(RbacEngines::principal).toList());
    } else if (p instanceof Principal.Not not) {
      return new NotNode(principal(not.id()));
    } else if (p instanceof Principal.Authenticated a) {
      return new AuthenticatedNode(a.matcher());
    } else if (p instanceof Principal.DirectRemoteIp d) {
      return new AddressNode(requireNonNull(d.range(), "direct_remote_ip"), AddressNode.DIRECT_REMOTE);
    } else if (p instanceof Principal.RemoteIp r) {
      return new AddressNode(requireNonNull(r.range(), "remote_ip"), AddressNode.REMOTE);
    } else if (p instanceof Principal.Header h) {
      return header(h.matcher());
    } else if (p instanceof Principal.UrlPath u) {
      return urlPath(u.path());
    } else if (p instanceof Principal.Metadata m) {
      return new MetadataNode(requireNonNull(m.matcher(), "metadata"));
    }
    throw new IllegalArgumentException("unsupported principal " + p);
  }

  private static Node and(List<Node> nodes) {
    if (nodes.isEmpty()) {
      return Always.INSTANCE; // Envoy's AndMatcher over nothing
    }
    if (nodes.size() == 1) {
      return nodes.get(0);
    }
    List<Node> kept = new ArrayList<>();
    for (Node node : nodes) {
      if (node == Never.INSTANCE) {
        return Never.INSTANCE;
      }
      if (node != Always.INSTANCE) {
        kept.add(node);
      }
    }
    if (kept.isEmpty()) {
      return Always.INSTANCE;
    }
    return kept.size() == 1 ? kept.get(0) : new AndNode(kept.toArray(new Node[0]));
  }

  private static Node or(List<Node> nodes) {
    List<Node> kept = new ArrayList<>();
    Map<String, Set<String>> headerValues = new LinkedHashMap<>();
    Set<String> exactPaths = new HashSet<>();
    for (Node node : nodes) {
      if (node == Always.INSTANCE) {
        return Always.INSTANCE;
      }
      if (node == Never.INSTANCE) {
        continue;
      }
      if (node instanceof HeaderExact h) {
        headerValues.computeIfAbsent(h.name, k -> new HashSet<>()).add(h.value);
      } else if (node instanceof PathExact p) {
        exactPaths.add(p.value);
      } else {
        kept.add(node);
      }
    }
    // an or over exact values of one header (methods, hosts) or over exact paths: one lookup
    for (Map.Entry<String, Set<String>> e : headerValues.entrySet()) {
      Set<String> values = e.getValue();
      kept.add(values.size() == 1
          ? new HeaderExact(e.getKey(), values.iterator().next())
          : new HeaderSet(e.getKey(), Set.copyOf(values)));
    }
    if (exactPaths.size() == 1) {
      kept.add(new PathExact(exactPaths.iterator().next()));
    } else if (!exactPaths.isEmpty()) {
      kept.add(new PathSet(Set.copyOf(exactPaths)));
    }
    if (kept.isEmpty()) {
      return Never.INSTANCE; // Envoy's OrMatcher over nothing, and a policy's empty list
    }
    return kept.size() == 1 ? kept.get(0) : new OrNode(kept.toArray(new Node[0]));
  }

  private static Node header(HeaderMatcher matcher) {
    requireNonNull(matcher, "header");
    if (matcher.value() instanceof StringMatcher.Exact exact
        && !exact.ignoreCase()
        && !matcher.invert()
        && !matcher.treatMissingAsEmpty()) {
      return new HeaderExact(matcher.name(), exact.value());
    }
    return new HeaderNode(matcher);
  }

  private static Node urlPath(StringMatcher matcher) {
    requireNonNull(matcher, "url_path");
    if (matcher instanceof StringMatcher.Exact e) {
      return e.ignoreCase() ? new PathRegion(matcher) : new PathExact(e.value());
    }
    return new PathRegion(matcher);
  }

  // ---- evaluation nodes ----

  /** One compiled condition. */
  abstract static class Node {
    abstract boolean matches(AuthzRequest r);
  }

  static final class Always extends Node {
    static final Always INSTANCE = new Always();

    @Override
    boolean matches(AuthzRequest r) {
      return true;
    }
  }

  static final class Never extends Node {
    static final Never INSTANCE = new Never();

    @Override
    boolean matches(AuthzRequest r) {
      return false;
    }
  }

  static final class AndNode extends Node {
    private final Node[] nodes;

    AndNode(Node[] nodes) {
      this.nodes = nodes;
    }

    @Override
    boolean matches(AuthzRequest r) {
      for (Node node : nodes) {
        if (!node.matches(r)) {
          return false;
        }
      }
      return true;
    }
  }

  static final class OrNode extends Node {
    private final Node[] nodes;

    OrNode(Node[] nodes) {
      this.nodes = nodes;
    }

    @Override
    boolean matches(AuthzRequest r) {
      for (Node node : nodes) {
        if (node.matches(r)) {
          return true;
        }
      }
      return false;
    }
  }

  static final class NotNode extends Node {
    private final Node node;

    NotNode(Node node) {
      this.node = node;
    }

    @Override
    boolean matches(AuthzRequest r) {
      return !node.matches(r);
    }
  }

  static final class HeaderNode extends Node {
    private final HeaderMatcher matcher;

    HeaderNode(HeaderMatcher matcher) {
      this.matcher = matcher;
    }

    @Override
    boolean matches(AuthzRequest r) {
      return matcher.matches(r);
    }
  }

  /** A present header whose (joined) value equals {@code value}, case-sensitively. */
  static final class HeaderExact extends Node {
    final String name;
    final String value;

    HeaderExact(String name, String value) {
      this.name = name;
      this.value = value;
    }

    @Override
    boolean matches(AuthzRequest r) {
      return value.equals(r.header(name));
    }
  }

  static final class HeaderSet extends Node {
    private final String name;
    private final Set<String> values;

    HeaderSet(String name, Set<String> values) {
      this.name = name;
      this.values = values;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String actual = r.header(name);
      return actual != null && values.contains(actual);
    }
  }

  /** Where the path ends: before the query string or fragment (Envoy's {@code removeQueryAndFragment}). */
  static int pathEnd(String path) {
    for (int i = 0, n = path.length(); i < n; i++) {
      char c = path.charAt(i);
      if (c == '?' || c == '#') {
        return i;
      }
    }
    return path.length();
  }

  static final class PathExact extends Node {
    final String value;

    PathExact(String value) {
      this.value = value;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String path = r.path();
      int n = value.length();
      return path.startsWith(value) && (path.length() == n || pathEnd(path) == n);
    }
  }

  static final class PathSet extends Node {
    private final Set<String> values;

    PathSet(Set<String> values) {
      this.values = values;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String path = r.path();
      int end = pathEnd(path);
      return values.contains(end == path.length() ? path : path.substring(0, end));
    }
  }

  /** A string matcher applied to the path region before {@code ?}/{@code #}, without copying it. */
  static final class PathRegion extends Node {
    private final StringMatcher matcher;

    PathRegion(StringMatcher matcher) {
      this.matcher = matcher;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String path = r.path();
      int end = pathEnd(path);
      if (end == path.length()) {
        return matcher.matches(path);
      }
      if (matcher instanceof StringMatcher.Exact e) {
        return end == e.value().length() && path.regionMatches(e.ignoreCase(), 0, e.value(), 0, end);
      } else if (matcher instanceof StringMatcher.Prefix p) {
        int n = p.value().length();
        return n <= end && path.regionMatches(p.ignoreCase(), 0, p.value(), 0, n);
      } else if (matcher instanceof StringMatcher.Suffix s) {
        int n = s.value().length();
        return n <= end && path.regionMatches(s.ignoreCase(), end - n, s.value(), 0, n);
      } else if (matcher instanceof StringMatcher.Contains c) {
        int n = c.value().length();
        if (!c.ignoreCase()) {
          int at = path.indexOf(c.value());
          return at >= 0 && at + n <= end;
        }
        for (int i = 0; i + n <= end; i++) {
          if (path.regionMatches(true, i, c.value(), 0, n)) {
            return true;
          }
        }
        return false;
      }
      return matcher.matches(path.substring(0, end));
    }
  }

  static final class TemplateNode extends Node {
    private final UriTemplateMatcher template;

    TemplateNode(UriTemplateMatcher template) {
      this.template = template;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String path = r.path();
      return template.matches(path, pathEnd(path));
    }
  }

  static final class AddressNode extends Node {
    static final int DIRECT_REMOTE = 0;
    static final int REMOTE = 1;
    static final int DESTINATION = 2;

    private final CidrRange range;
    private final int which;

    AddressNode(CidrRange range, int which) {
      this.range = range;
      this.which = which;
    }

    @Override
    boolean matches(AuthzRequest r) {
      byte[] address = switch (which) {
        case DIRECT_REMOTE -> r.directRemoteAddress();
        case REMOTE -> r.remoteAddress();
        default -> r.destinationAddress();
      };
      return range.contains(address);
    }
  }

  /** {@code start <= port < end}. */
  static final class PortRange extends Node {
    private final int start;
    private final int end;

    PortRange(int start, int end) {
      this.start = start;
      this.end = end;
    }

    @Override
    boolean matches(AuthzRequest r) {
      int port = r.destinationPort();
      return port >= start && port < end;
    }
  }

  static final class ServerName extends Node {
    private final StringMatcher matcher;

    ServerName(StringMatcher matcher) {
      this.matcher = matcher;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String sni = r.requestedServerName();
      return matcher.matches(sni == null ? "" : sni);
    }
  }

  static final class MetadataNode extends Node {
    private final MetadataMatcher matcher;

    MetadataNode(MetadataMatcher matcher) {
      this.matcher = matcher;
    }

    @Override
    boolean matches(AuthzRequest r) {
      return matcher.matches(r);
    }
  }

  static final class AuthenticatedNode extends Node {
    private final StringMatcher matcher;

    AuthenticatedNode(StringMatcher matcher) {
      this.matcher = matcher;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String principal = r.peerPrincipal();
      return principal != null && (matcher == null || matcher.matches(principal));
    }
  }
}
