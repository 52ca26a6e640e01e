package dev.pylon.gateway.tls.pending;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** STAND-IN for {@code dev.pylon.tls.SniSelector}: exact name, then longest {@code *.suffix}, then the default. */
public final class SniSelector<T> {

  private final Map<String, T> exact = new HashMap<>();
  private final Map<String, T> wildcards = new HashMap<>();
  private T defaultValue;

  /** One value and the names selecting it; none = the default. */
  public record Entry<T>(List<String> serverNames, T value) {
    public Entry {
      serverNames = List.copyOf(serverNames);
    }
  }

  public SniSelector(List<Entry<T>> entries) {
    for (Entry<T> e : entries) {
      if (e.serverNames().isEmpty()) {
        if (defaultValue != null) {
          throw new IllegalArgumentException("two entries have no server names: only one default is possible");
        }
        defaultValue = e.value();
      }
      for (String n : e.serverNames()) {
        String k = n.toLowerCase(Locale.ROOT);
        if (k.startsWith("*.")) {
          wildcards.put(k.substring(1), e.value());
        } else {
          exact.put(k, e.value());
        }
      }
    }
  }

  public static <T> SniSelector<T> of(List<Entry<T>> entries) {
    return new SniSelector<>(entries);
  }

  public T select(String sni) {
    if (sni == null || sni.isEmpty()) {
      return defaultValue;
    }
    String name = sni.toLowerCase(Locale.ROOT);
    T v = exact.get(name);
    if (v != null) {
      return v;
    }
    for (int dot = name.indexOf('.', 1); dot >= 0 && dot < name.length() - 1; dot = name.indexOf('.', dot + 1)) {
      v = wildcards.get(name.substring(dot));
      if (v != null) {
        return v;
      }
    }
    return defaultValue;
  }

  public T defaultValue() {
    return defaultValue;
  }
}
