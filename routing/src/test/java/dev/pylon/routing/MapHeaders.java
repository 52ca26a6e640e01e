package dev.pylon.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A {@link HeaderSink} over an ordered multimap, for tests. */
final class MapHeaders implements HeaderSink {

  final Map<String, List<String>> values = new LinkedHashMap<>();

  static MapHeaders of(String... nameValues) {
    MapHeaders h = new MapHeaders();
    for (int i = 0; i < nameValues.length; i += 2) {
      h.add(nameValues[i], nameValues[i + 1]);
    }
    return h;
  }

  @Override
  public String get(String name) {
    List<String> v = values.get(name);
    return v == null ? null : String.join(",", v);
  }

  @Override
  public void set(String name, String value) {
    values.put(name, new ArrayList<>(List.of(value)));
  }

  @Override
  public void add(String name, String value) {
    values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  @Override
  public void remove(String name) {
    values.remove(name);
  }
}
