package dev.pylon.gateway.authz;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Reading and removing query parameters of a {@code :path}, as Envoy's {@code QueryParamsMulti} does. */
final class QueryStrings {

  private QueryStrings() {}

  /** The first value of parameter {@code name} (decoded), {@code ""} for a bare {@code name}, {@code null} if absent. */
  static String first(String path, String name) {
    int q = path.indexOf('?');
    if (q < 0) {
      return null;
    }
    int i = q + 1;
    int len = path.length();
    while (i <= len) {
      int end = path.indexOf('&', i);
      if (end < 0) {
        end = len;
      }
      int eq = path.indexOf('=', i);
      int keyEnd = eq >= 0 && eq < end ? eq : end;
      if (keyEnd > i && decode(path.substring(i, keyEnd)).equals(name)) {
        return keyEnd == end ? "" : decode(path.substring(keyEnd + 1, end));
      }
      i = end + 1;
    }
    return null;
  }

  /** {@code path} without any occurrence of parameter {@code name}; the {@code ?} goes when nothing is left. */
  static String remove(String path, String name) {
    int q = path.indexOf('?');
    if (q < 0) {
      return path;
    }
    StringBuilder kept = new StringBuilder(path.length());
    int i = q + 1;
    int len = path.length();
    while (i <= len) {
      int end = path.indexOf('&', i);
      if (end < 0) {
        end = len;
      }
      int eq = path.indexOf('=', i);
      int keyEnd = eq >= 0 && eq < end ? eq : end;
      if (end > i && !decode(path.substring(i, keyEnd)).equals(name)) {
        if (kept.length() > 0) {
          kept.append('&');
        }
        kept.append(path, i, end);
      }
      i = end + 1;
    }
    return kept.length() == 0 ? path.substring(0, q) : path.substring(0, q + 1) + kept;
  }

  /** {@code s} percent-encoded for a query string (spaces as {@code %20}). */
  static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String decode(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
      return s;
    }
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // an invalid escape stays as sent
    }
  }
}
