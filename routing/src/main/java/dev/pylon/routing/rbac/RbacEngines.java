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
 * <p>Evaluation allocates nothing, except a substring for a {@code url_path} regex when the path has a query
 * string. Inside an {@code or}, string conditions on one header (Istio's {@code methods}, {@code hosts}) share one
 * lookup, exact case-sensitive values becoming one hash-set probe; path conditions (Istio's {@code paths}: exact,
 * prefix, suffix, regex, templates) share one cut of the query string.
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
    // header conditions grouped by name (one lookup each), path conditions together (one scan for the query)
    Map<String, HeaderGroup> headers = new LinkedHashMap<>();
    PathGroup paths = new PathGroup();
    for (Node node : nodes) {
      if (node == Always.INSTANCE) {
        return Always.INSTANCE;
      }
      if (node == Never.INSTANCE) {
        continue;
      }
      if (node instanceof HeaderExact h) {
        headers.computeIfAbsent(h.name, k -> new HeaderGroup()).exact.add(h.value);
      } else if (node instanceof HeaderNode h && isPlainValueMatch(h.matcher)) {
        headers.computeIfAbsent(h.matcher.name(), k -> new HeaderGroup()).others.add(h.matcher.value());
      } else if (node instanceof PathExact p) {
        paths.exact.add(p.value);
      } else if (node instanceof PathRegion p) {
        paths.others.add(p.matcher);
      } else if (node instanceof TemplateNode t) {
        paths.templates.add(t.template);
      } else {
        kept.add(node);
      }
    }
    for (Map.Entry<String, HeaderGroup> e : headers.entrySet()) {
      kept.add(e.getValue().node(e.getKey()));
    }
    if (paths.size() > 0) {
      kept.add(paths.node());
    }
    if (kept.isEmpty()) {
      return Never.INSTANCE; // Envoy's OrMatcher over nothing, and a policy's empty list
    }
    return kept.size() == 1 ? kept.get(0) : new OrNode(kept.toArray(new Node[0]));
  }

  /** A string condition on a header that fails when the header is missing: several can share one lookup. */
  private static boolean isPlainValueMatch(HeaderMatcher m) {
    return m.value() != null && !m.invert() && !m.treatMissingAsEmpty();
  }

  private static final class HeaderGroup {
    final Set<String> exact = new HashSet<>();
    final List<StringMatcher> others = new ArrayList<>();

    Node node(String name) {
      if (others.isEmpty()) {
        return exact.size() == 1 ? new HeaderExact(name, exact.iterator().next()) : new HeaderSet(name,
            Set.copyOf(exact));
      }
      if (exact.isEmpty() && others.size() == 1) {
        return new HeaderNode(new HeaderMatcher(name, others.get(0), false, false, false));
      }
      return new HeaderAnyOf(name, Set.copyOf(exact), others.toArray(new StringMatcher[0]));
    }
  }

  private static final class PathGroup {
    final Set<String> exact = new HashSet<>();
    final List<StringMatcher> others = new ArrayList<>();
    final List<UriTemplateMatcher> templates = new ArrayList<>();

    int size() {
      return exact.size() + others.size() + templates.size();
    }

    Node node() {
      if (size() == 1) {
        if (!exact.isEmpty()) {
          return new PathExact(exact.iterator().next());
        }
        return others.isEmpty() ? new TemplateNode(templates.get(0)) : new PathRegion(others.get(0));
      }
      return new PathAnyOf(Set.copyOf(exact), others.toArray(new StringMatcher[0]),
          templates.toArray(new UriTemplateMatcher[0]));
    }
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
    final HeaderMatcher matcher;

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

  /** A present header whose value is one of {@code exact} or matches one of {@code others}: one lookup. */
  static final class HeaderAnyOf extends Node {
    private final String name;
    private final Set<String> exact;
    private final StringMatcher[] others;

    HeaderAnyOf(String name, Set<String> exact, StringMatcher[] others) {
      this.name = name;
      this.exact = exact;
      this.others = others;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String actual = r.header(name);
      if (actual == null) {
        return false;
      }
      if (!exact.isEmpty() && exact.contains(actual)) {
        return true;
      }
      for (StringMatcher m : others) {
        if (m.matches(actual)) {
          return true;
        }
      }
      return false;
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

  /** A string matcher applied to the path region before {@code ?}/{@code #}, without copying it. */
  static final class PathRegion extends Node {
    final StringMatcher matcher;

    PathRegion(StringMatcher matcher) {
      this.matcher = matcher;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String path = r.path();
      return regionMatches(matcher, path, pathEnd(path));
    }
  }

  /** Whether {@code matcher} matches {@code path.substring(0, end)}; copies only for a regex on a cut path. */
  static boolean regionMatches(StringMatcher matcher, String path, int end) {
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

  /** An {@code or} of path conditions: exact paths by lookup, then the others, on one cut of the path. */
  static final class PathAnyOf extends Node {
    private final Set<String> exact;
    private final String[] exactValues;
    private final StringMatcher[] others;
    private final UriTemplateMatcher[] templates;

    PathAnyOf(Set<String> exact, StringMatcher[] others, UriTemplateMatcher[] templates) {
      this.exact = exact;
      this.exactValues = exact.toArray(new String[0]);
      this.others = others;
      this.templates = templates;
    }

    @Override
    boolean matches(AuthzRequest r) {
      String path = r.path();
      int end = pathEnd(path);
      if (end == path.length()) {
        if (!exact.isEmpty() && exact.contains(path)) {
          return true;
        }
      } else {
        for (String value : exactValues) { // with a query string: compare in place rather than cut a copy
          if (value.length() == end && path.startsWith(value)) {
            return true;
          }
        }
      }
      for (StringMatcher m : others) {
        if (regionMatches(m, path, end)) {
          return true;
        }
      }
      for (UriTemplateMatcher t : templates) {
        if (t.matches(path, end)) {
          return true;
        }
      }
      return false;
    }
  }

  static final class TemplateNode extends Node {
    final UriTemplateMatcher template;

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
