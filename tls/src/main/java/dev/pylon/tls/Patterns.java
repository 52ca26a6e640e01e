package dev.pylon.tls;

import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** Regular expressions of configuration, compiled once per distinct text. */
final class Patterns {

  private static final int MAX = 1024;
  private static final ConcurrentHashMap<String, Pattern> CACHE = new ConcurrentHashMap<>();

  private Patterns() {}

  static Pattern compile(String regex) {
    Pattern p = CACHE.get(regex);
    if (p == null) {
      p = Pattern.compile(regex);
      if (CACHE.size() < MAX) {
        CACHE.put(regex, p);
      }
    }
    return p;
  }
}
