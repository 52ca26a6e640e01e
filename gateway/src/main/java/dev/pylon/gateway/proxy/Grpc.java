package dev.pylon.gateway.proxy;

/** What the proxy needs to know about gRPC: recognising its requests and answering them in gRPC terms. */
final class Grpc {

  static final String CONTENT_TYPE = "application/grpc";

  private Grpc() {}

  /**
   * Whether a request is gRPC by its content type, as Envoy decides: {@code application/grpc} alone or followed by
   * {@code +} (a codec) or {@code ;} (parameters).
   */
  static boolean isGrpc(String contentType) {
    if (contentType == null || !contentType.regionMatches(true, 0, CONTENT_TYPE, 0, CONTENT_TYPE.length())) {
      return false;
    }
    if (contentType.length() == CONTENT_TYPE.length()) {
      return true;
    }
    char next = contentType.charAt(CONTENT_TYPE.length());
    return next == '+' || next == ';';
  }

  /** The gRPC status of a local HTTP reply (the gRPC spec's HTTP-to-gRPC mapping, which Envoy applies). */
  static int statusForHttp(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> 13; // INTERNAL
      case 401 -> 16; // UNAUTHENTICATED
      case 403 -> 7; // PERMISSION_DENIED
      case 404 -> 12; // UNIMPLEMENTED
      case 429, 502, 503, 504 -> 14; // UNAVAILABLE
      default -> 2; // UNKNOWN
    };
  }

  /**
   * The HTTP status a gRPC status stands for (Envoy's {@code grpcToHttpStatus}), so outlier detection judges a gRPC
   * failure in the response headers like the HTTP failure it is; {@code -1} when {@code grpcStatus} is not a number.
   */
  static int httpForStatus(String grpcStatus) {
    int code;
    try {
      code = Integer.parseInt(grpcStatus.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
    return switch (code) {
      case 0 -> 200; // OK
      case 1 -> 499; // CANCELLED
      case 3, 9, 11 -> 400; // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
      case 4 -> 504; // DEADLINE_EXCEEDED
      case 5 -> 404; // NOT_FOUND
      case 6, 10 -> 409; // ALREADY_EXISTS, ABORTED
      case 7 -> 403; // PERMISSION_DENIED
      case 8 -> 429; // RESOURCE_EXHAUSTED
      case 12 -> 501; // UNIMPLEMENTED
      case 14 -> 503; // UNAVAILABLE
      case 16 -> 401; // UNAUTHENTICATED
      default -> 500; // UNKNOWN, INTERNAL, DATA_LOSS and anything else
    };
  }

  /** {@code grpc-message} is percent-encoded (gRPC over HTTP/2 spec): printable ASCII but {@code %} passes. */
  static String encodeMessage(String message) {
    StringBuilder out = null;
    byte[] bytes = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xFF;
      boolean plain = b >= 0x20 && b <= 0x7E && b != '%';
      if (plain && out == null) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(bytes.length + 16);
        for (int j = 0; j < i; j++) {
          out.append((char) bytes[j]);
        }
      }
      if (plain) {
        out.append((char) b);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
      }
    }
    return out == null ? message : out.toString();
  }
}
