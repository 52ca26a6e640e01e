package dev.pylon.routing;

/**
 * How the gateway normalizes a request path before routing and authorization, and forwards it upstream: Envoy's HCM
 * {@code normalize_path} (RFC 3986 dot-segment removal and percent-decoding of unreserved characters), {@code
 * merge_slashes} and {@code path_with_escaped_slashes_action}. Istio's mesh config {@code
 * pathNormalization.normalization}: {@code NONE} = nothing; {@code BASE} (= {@code DEFAULT}) = normalize; {@code
 * MERGE_SLASHES} = normalize + merge; {@code DECODE_AND_MERGE_SLASHES} = normalize + merge + {@code
 * UNESCAPE_AND_FORWARD}.
 *
 * @param normalizePath RFC 3986 normalization
 * @param mergeSlashes collapse runs of {@code /}
 * @param escapedSlashes what to do with {@code %2F %2f %5C %5c}
 */
public record PathNormalization(boolean normalizePath, boolean mergeSlashes, EscapedSlashes escapedSlashes) {

  /** Envoy's {@code PathWithEscapedSlashesAction}. */
  public enum EscapedSlashes {
    KEEP_UNCHANGED,
    REJECT_REQUEST,
    UNESCAPE_AND_REDIRECT,
    UNESCAPE_AND_FORWARD
  }

  /** Envoy's defaults when the HCM sets none of the fields: no normalization at all. */
  public static final PathNormalization NONE = new PathNormalization(false, false, EscapedSlashes.KEEP_UNCHANGED);

  /** Istio's default ({@code BASE}... as istiod emits it for gateways): normalize, and merge slashes. */
  public static final PathNormalization ISTIO_DEFAULT =
      new PathNormalization(true, true, EscapedSlashes.KEEP_UNCHANGED);

  public PathNormalization {
    java.util.Objects.requireNonNull(escapedSlashes, "escapedSlashes");
  }

  /** The outcome of normalizing one path. */
  public sealed interface Result {
    /** The path to route, authorize and forward ({@code path} is the whole {@code :path}, query kept as is). */
    record Normalized(String path) implements Result {}

    /** 400: the path cannot be normalized (e.g. {@code ..} above the root is clamped, not rejected) or is refused. */
    record Rejected(String detail) implements Result {}

    /** 307 to the unescaped path (UNESCAPE_AND_REDIRECT). */
    record Redirect(String path) implements Result {}
  }

  /**
   * Normalizes {@code rawPath} (the {@code :path} as received, query included; the query string is never changed).
   * Returns {@link Result.Normalized} with the same instance when nothing changes.
   */
  public Result apply(String rawPath) {
    return PathNormalizer.apply(this, rawPath);
  }
}
