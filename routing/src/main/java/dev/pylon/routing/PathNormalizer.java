package dev.pylon.routing;

/** The algorithm behind {@link PathNormalization}. */
final class PathNormalizer {

  private PathNormalizer() {}

  static PathNormalization.Result apply(PathNormalization settings, String rawPath) {
    throw new UnsupportedOperationException("path normalization: being implemented (issue 5)");
  }
}
