package dev.pylon.benchmarks;

import dev.pylon.routing.PathNormalization;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link PathNormalization#apply} with Istio's default (normalize + merge slashes) and with {@code
 * DECODE_AND_MERGE_SLASHES}: a clean path (one scan, the same string back) and a dirty one (dot segments, encoded
 * dots, an unreserved escape, a backslash, doubled slashes, an escaped slash, a query string).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PathNormalizationBenchmark {

  final PathNormalization istioDefault = PathNormalization.ISTIO_DEFAULT;
  final PathNormalization decodeAndMerge =
      new PathNormalization(true, true, PathNormalization.EscapedSlashes.UNESCAPE_AND_FORWARD);
  String clean = "/api/v1/customers/12345/orders/67890?limit=10&offset=20";
  String dirty = "//api/./v1/x/../customers/%31%32345\\orders/%2e%2e/orders//67890%2Fitems?limit=10&offset=20";

  @Benchmark
  public PathNormalization.Result cleanIstioDefault() {
    return istioDefault.apply(clean);
  }

  @Benchmark
  public PathNormalization.Result dirtyIstioDefault() {
    return istioDefault.apply(dirty);
  }

  @Benchmark
  public PathNormalization.Result cleanDecodeAndMergeSlashes() {
    return decodeAndMerge.apply(clean);
  }

  @Benchmark
  public PathNormalization.Result dirtyDecodeAndMergeSlashes() {
    return decodeAndMerge.apply(dirty);
  }
}
