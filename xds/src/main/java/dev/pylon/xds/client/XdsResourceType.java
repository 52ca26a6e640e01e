package dev.pylon.xds.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One xDS resource type: its type URL and how a resource of it becomes a model value. Parsing is pure: no state, no I/O.
 *
 * @param <M> the proto message
 * @param <T> the model value a valid resource becomes
 */
abstract class XdsResourceType<M extends Message, T> {

  private static final String TYPE_URL_PREFIX = "type.googleapis.com/";

  private final String kind;
  private final String typeUrl;
  private final Class<M> protoClass;

  XdsResourceType(Class<M> protoClass, M defaultInstance) {
    this.protoClass = protoClass;
    this.kind = defaultInstance.getDescriptorForType().getName();
    this.typeUrl = TYPE_URL_PREFIX + defaultInstance.getDescriptorForType().getFullName();
  }

  /** The short proto name used in error messages, e.g. {@code RouteConfiguration}. */
  final String kind() {
    return kind;
  }

  /** The v3 type URL, e.g. {@code type.googleapis.com/envoy.config.listener.v3.Listener}. */
  final String typeUrl() {
    return typeUrl;
  }

  /** The resource name. */
  abstract String name(M resource);

  /**
   * Validates and converts one resource. Adds every problem to {@code errors} (paths relative to the resource) and
   * returns {@code null} when there is any.
   */
  abstract T parse(M resource, FieldErrors errors);

  /**
   * Parses every resource of a response and collects the errors of all of them, so that one NACK names every bad
   * resource. The response is valid only when {@link ParsedResources#errors()} is empty.
   */
  final ParsedResources<T> parseAll(List<Any> resources) {
    Map<String, T> parsed = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < resources.size(); i++) {
      Any any = resources.get(i);
      String at = kind + " resources[" + i + "]";
      if (!hasExpectedType(any.getTypeUrl())) {
        errors.add(at + ": type URL '" + any.getTypeUrl() + "' (expected: " + typeUrl + ")");
        continue;
      }
      M resource;
      try {
        resource = any.unpack(protoClass);
      } catch (InvalidProtocolBufferException e) {
        errors.add(at + ": cannot decode: " + e.getMessage());
        continue;
      }
      String name = name(resource);
      if (name.isEmpty()) {
        errors.add(at + ": name: required");
        continue;
      }
      String label = kind + " '" + name + "'";
      if (parsed.containsKey(name) || isDuplicateOfInvalid(errors, label)) {
        errors.add(label + ": duplicate resource name in one response");
        continue;
      }
      FieldErrors resourceErrors = new FieldErrors();
      T value = parse(resource, resourceErrors);
      if (resourceErrors.isEmpty()) {
        parsed.put(name, value);
      } else {
        for (String e : resourceErrors.list()) {
          errors.add(label + ": " + e);
        }
      }
    }
    return new ParsedResources<>(parsed, errors);
  }

  /** Whether an {@link Any} type URL names this type; the prefix before the last {@code /} is free, as in Envoy. */
  final boolean hasExpectedType(String anyTypeUrl) {
    int slash = anyTypeUrl.lastIndexOf('/');
    return slash >= 0 && anyTypeUrl.substring(slash + 1).equals(typeUrl.substring(TYPE_URL_PREFIX.length()));
  }

  private static boolean isDuplicateOfInvalid(List<String> errors, String label) {
    String prefix = label + ": ";
    for (String e : errors) {
      if (e.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The outcome of parsing one response.
   *
   * @param resources the valid resources by name, in response order
   * @param errors one {@code <Type> '<name>': <field.path>: <reason>} entry per problem; empty when all are valid
   */
  record ParsedResources<T>(Map<String, T> resources, List<String> errors) {
    ParsedResources {
      resources = Collections.unmodifiableMap(new LinkedHashMap<>(resources));
      errors = List.copyOf(errors);
    }

    boolean valid() {
      return errors.isEmpty();
    }

    /** The NACK message: all errors joined with {@code "; "}. */
    String errorMessage() {
      return String.join("; ", errors);
    }
  }
}
