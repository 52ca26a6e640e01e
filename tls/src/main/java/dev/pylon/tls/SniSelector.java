package dev.pylon.tls;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses a value (a filter chain, a certificate) by the server name a client asked for, with the semantics of Envoy's
 * {@code FilterChainMatch.server_names} ({@code FilterChainManagerImpl::findFilterChainForServerName}):
 *
 * <ol>
 *   <li>an exact name ({@code www.example.com});
 *   <li>else the longest matching wildcard: {@code *.example.com} is tried before {@code *.com}. A wildcard stands for
 *       one <em>or more</em> labels, so {@code *.example.com} matches {@code a.example.com} and
 *       {@code a.b.example.com}, but not {@code example.com} itself;
 *   <li>else the entry with no server names (the default);
 *   <li>else {@code null}.
 * </ol>
 *
 * <p>Names are compared case-insensitively (Envoy lower-cases configured names and the SNI). As Envoy does, a
 * {@code *} anywhere but as a whole leading label ({@code w*.example.com}, {@code *}) is refused, and a name may belong
 * to one entry only. Immutable and thread-safe; a lookup costs one hash probe per label of the name.
 */
public final class SniSelector<T> {

  private final Map<String, T> exact;
  private final Map<String, T> wildcards; // keyed by the suffix with its leading dot: "*.example.com" -> ".example.com"
  private final T defaultValue;

  /** One value and the server names that select it; no names makes it the default. */
  public record Entry<T>(List<String> serverNames, T value) {
    public Entry {
      serverNames = List.copyOf(serverNames);
      requireNonNull(value, "value");
    }
  }

  /**
   * @throws IllegalArgumentException naming the offending server name when two entries list the same name, when a name
   *     is empty or a partial wildcard, or when two entries have no names (two defaults)
   */
  public SniSelector(List<Entry<T>> entries) {
    Map<String, T> exactNames = new HashMap<>();
    Map<String, T> wildcardNames = new HashMap<>();
    Map<String, Integer> owner = new HashMap<>();
    T fallback = null;
    int defaultIndex = -1;
    for (int i = 0; i < entries.size(); i++) {
      Entry<T> entry = entries.get(i);
      if (entry.serverNames().isEmpty()) {
        if (defaultIndex >= 0) {
          throw new IllegalArgumentException("entries #" + defaultIndex + " and #" + i
              + " both have no server names: only one default is possible");
        }
        defaultIndex = i;
        fallback = entry.value();
        continue;
      }
      for (String name : entry.serverNames()) {
        String key = normalize(name);
        Integer previous = owner.putIfAbsent(key, i);
        if (previous != null && previous != i) {
          throw new IllegalArgumentException("server name '" + name + "' is listed by entries #" + previous + " and #"
              + i + ": a server name can select one entry only");
        }
        if (key.startsWith("*.")) {
          wildcardNames.put(key.substring(1), entry.value());
        } else {
          exactNames.put(key, entry.value());
        }
      }
    }
    this.exact = Map.copyOf(exactNames);
    this.wildcards = Map.copyOf(wildcardNames);
    this.defaultValue = fallback;
  }

  /** A selector of {@code entries}; see {@link #SniSelector(List)}. */
  public static <T> SniSelector<T> of(List<Entry<T>> entries) {
    return new SniSelector<>(entries);
  }

  /** A builder adding entries in order. */
  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  /**
   * The value for a client's server name: exact, then longest wildcard, then the default; {@code null} when none
   * applies. A {@code null} or empty {@code sni} (a ClientHello without server_name) selects the default.
   */
  public T select(String sni) {
    if (sni == null || sni.isEmpty()) {
      return defaultValue;
    }
    String name = sni.toLowerCase(Locale.ROOT);
    T value = exact.get(name);
    if (value != null) {
      return value;
    }
    if (!wildcards.isEmpty()) {
      // ".example.com" then ".com" for "www.example.com"; the first label is never a suffix by itself (a name starting
      // with a dot does not make the whole name a suffix), and a trailing dot is no label.
      int dot = name.indexOf('.', 1);
      while (dot >= 0 && dot < name.length() - 1) {
        value = wildcards.get(name.substring(dot));
        if (value != null) {
          return value;
        }
        dot = name.indexOf('.', dot + 1);
      }
    }
    return defaultValue;
  }

  /** The value of the entry without server names, or null. */
  public T defaultValue() {
    return defaultValue;
  }

  private static String normalize(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("server name: empty (an entry without names is the default instead)");
    }
    String lower = name.toLowerCase(Locale.ROOT);
    int star = lower.indexOf('*');
    if (star >= 0 && (star != 0 || !lower.startsWith("*.") || lower.indexOf('*', 1) >= 0 || lower.length() == 2)) {
      throw new IllegalArgumentException("server name '" + name
          + "': partial wildcards are not supported (only a leading '*.' label, as in '*.example.com')");
    }
    return lower;
  }

  /** Collects entries for a {@link SniSelector}. */
  public static final class Builder<T> {
    private final List<Entry<T>> entries = new ArrayList<>();

    private Builder() {}

    /** Adds an entry; no names makes it the default. */
    public Builder<T> add(List<String> serverNames, T value) {
      entries.add(new Entry<>(serverNames, value));
      return this;
    }

    public SniSelector<T> build() {
      return new SniSelector<>(entries);
    }
  }
}
