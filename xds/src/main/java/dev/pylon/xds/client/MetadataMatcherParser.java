package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.ValueMatcher;
import io.envoyproxy.envoy.type.matcher.v3.DoubleMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Envoy's {@code type.matcher.v3.MetadataMatcher} and {@code ValueMatcher} → {@link MetadataMatcher} and {@link
 * ValueMatcher}: used by RBAC ({@code metadata} permissions and principals), the ext_authz filter's
 * {@code filter_enabled_metadata} and route matches ({@code RouteMatch.dynamic_metadata}).
 */
final class MetadataMatcherParser {

  private MetadataMatcherParser() {}

  /** A {@code MetadataMatcher}; {@code null} with errors when invalid. */
  static MetadataMatcher metadataMatcher(io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ProtoValues.requireNonEmpty(proto.getFilter(), field(path, "filter"), errors);
    if (proto.getPathCount() == 0) {
      errors.add(field(path, "path"), "at least one path segment is required");
    }
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < proto.getPathCount(); i++) {
      var segment = proto.getPath(i);
      String at = index(field(path, "path"), i);
      SupportedFields.check(segment, at, errors);
      if (segment.getKey().isEmpty()) {
        errors.add(field(at, "key"), "required");
      }
      keys.add(segment.getKey());
    }
    ValueMatcher value = null;
    if (proto.hasValue()) {
      value = valueMatcher(proto.getValue(), field(path, "value"), errors);
    } else {
      errors.add(field(path, "value"), "required");
    }
    return errors.count() == before ? new MetadataMatcher(proto.getFilter(), keys, value, proto.getInvert()) : null;
  }

  /** A {@code ValueMatcher}; {@code null} with errors when invalid. */
  static ValueMatcher valueMatcher(io.envoyproxy.envoy.type.matcher.v3.ValueMatcher proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ValueMatcher matcher = null;
    switch (proto.getMatchPatternCase()) {
      case NULL_MATCH -> {
        SupportedFields.check(proto.getNullMatch(), field(path, "null_match"), errors);
        matcher = new ValueMatcher.NullMatch();
      }
      case DOUBLE_MATCH -> {
        String at = field(path, "double_match");
        DoubleMatcher d = proto.getDoubleMatch();
        SupportedFields.check(d, at, errors);
        if (d.getMatchPatternCase() == DoubleMatcher.MatchPatternCase.EXACT) {
          matcher = new ValueMatcher.DoubleExact(d.getExact());
        } else if (d.getMatchPatternCase() == DoubleMatcher.MatchPatternCase.MATCHPATTERN_NOT_SET) {
          errors.add(field(at, "exact"), "required");
        }
      }
      case STRING_MATCH -> {
        StringMatcher s = RouteConfigurationParser.stringMatcher(proto.getStringMatch(), field(path, "string_match"),
            errors);
        if (s != null) {
          matcher = new ValueMatcher.StringMatch(s);
        }
      }
      case BOOL_MATCH -> matcher = new ValueMatcher.BoolMatch(proto.getBoolMatch());
      // Envoy: present_match false never matches (not even an absent value): an empty or-match is that predicate
      case PRESENT_MATCH -> matcher = proto.getPresentMatch() ? new ValueMatcher.PresentMatch(true)
          : new ValueMatcher.OrMatch(List.of());
      case LIST_MATCH -> {
        String at = field(path, "list_match");
        ListMatcher list = proto.getListMatch();
        SupportedFields.check(list, at, errors);
        if (list.hasOneOf()) {
          ValueMatcher oneOf = valueMatcher(list.getOneOf(), field(at, "one_of"), errors);
          if (oneOf != null) {
            matcher = new ValueMatcher.ListMatch(oneOf);
          }
        } else {
          errors.add(field(at, "one_of"), "required");
        }
      }
      case OR_MATCH -> {
        String at = field(path, "or_match");
        OrMatcher or = proto.getOrMatch();
        SupportedFields.check(or, at, errors);
        // Envoy: min_items 2
        if (or.getValueMatchersCount() < 2) {
          errors.add(field(at, "value_matchers"), or.getValueMatchersCount() + " matchers (expected: at least 2)");
        }
        List<ValueMatcher> matchers = new ArrayList<>();
        for (int i = 0; i < or.getValueMatchersCount(); i++) {
          ValueMatcher m = valueMatcher(or.getValueMatchers(i), index(field(at, "value_matchers"), i), errors);
          if (m != null) {
            matchers.add(m);
          }
        }
        matcher = new ValueMatcher.OrMatch(matchers);
      }
      case MATCHPATTERN_NOT_SET -> errors.add(path, "one of null_match, double_match, string_match, bool_match, "
          + "present_match, list_match or or_match is required");
      default -> {
        // a newer pattern: reported as not supported by the allow-list
      }
    }
    return errors.count() == before ? matcher : null;
  }
}
