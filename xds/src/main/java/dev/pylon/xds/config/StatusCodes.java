package dev.pylon.xds.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The status vocabularies of Istio's routing fields: HTTP codes in {@code retryOn}, gRPC codes in faults. */
public final class StatusCodes {

  /** gRPC status names, indexed by code (Istio {@code fault.abort.grpcStatus}). */
  public static final List<String> GRPC_STATUS = List.of("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED");

  /** The HTTP status codes Istio recognizes in {@code retryOn}: those Go's {@code http.StatusText} knows. */
  private static final Set<Integer> KNOWN_HTTP = knownHttp();

  private StatusCodes() {}

  /** Whether a {@code retryOn} entry is an HTTP status code rather than a retry condition. */
  public static boolean isHttpStatusCode(String entry) {
    if (entry.isEmpty() || entry.length() > 3 || !entry.chars().allMatch(Character::isDigit)) {
      return false;
    }
    return KNOWN_HTTP.contains(Integer.parseInt(entry));
  }

  /** The code of a gRPC status name. */
  public static int grpcCode(String name) {
    int code = GRPC_STATUS.indexOf(name);
    if (code < 0) {
      throw new IllegalArgumentException("unknown gRPC status " + name);
    }
    return code;
  }

  private static Set<Integer> knownHttp() {
    Set<Integer> codes = new HashSet<>(List.of(100, 101, 102, 103, 226, 421, 422, 423, 424, 425, 426, 428, 429, 431,
        451, 510, 511));
    for (int code = 200; code <= 208; code++) {
      codes.add(code);
    }
    for (int code = 300; code <= 308; code++) {
      if (code != 306) {
        codes.add(code);
      }
    }
    for (int code = 400; code <= 418; code++) {
      codes.add(code);
    }
    for (int code = 500; code <= 508; code++) {
      codes.add(code);
    }
    return Set.copyOf(codes);
  }
}
