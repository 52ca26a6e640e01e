package dev.pylon.gateway.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pylon.xds.testing.Corpus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The Gateway API conformance tests of the shared corpus, run against Pylon (see {@link ConformanceRunner}). One
 * dynamic test per corpus test; a failure fails the build only for the tests listed in
 * {@code conformance/supported.txt}. The per-test table and the summary line ({@code N passed, M failed, ...}) are
 * printed and written to {@code target/conformance/report.txt}. Skipped, with the path, when the corpus is absent.
 * {@code -Dpylon.conformance.tests=Name,Name} runs only the tests named.
 */
class GatewayApiConformanceTest {

  private static final List<ConformanceRunner.Result> RESULTS = new ArrayList<>();
  private static ConformanceRunner runner;
  private static Set<String> supported;
  private static Path work;

  @BeforeAll
  static void start() throws IOException {
    Path cases = Corpus.root().resolve("gateway-api-cases");
    assumeTrue(Files.isDirectory(cases), "Gateway API cases not found at " + cases + ": conformance skipped");
    supported = supportedTests();
    work = Path.of("target", "conformance").toAbsolutePath();
    Files.createDirectories(work);
    runner = new ConformanceRunner(Corpus.root(), work);
  }

  @AfterAll
  static void report() throws IOException {
    if (runner == null) {
      return;
    }
    runner.close();
    String report = ConformanceReport.render(RESULTS, supported);
    System.out.println(report);
    Files.writeString(work.resolve("report.txt"), report);
  }

  @TestFactory
  Stream<DynamicTest> gatewayApiConformance() {
    Set<String> only = new LinkedHashSet<>(List.of(System.getProperty("pylon.conformance.tests", "").split(",")));
    only.remove("");
    return runner.testFiles().stream()
        .filter(file -> only.isEmpty() || only.contains(file.getFileName().toString().replace(".yaml", "")))
        .map(file -> {
      String name = file.getFileName().toString().replace(".yaml", "");
      return DynamicTest.dynamicTest(name, () -> {
        ConformanceRunner.Result result = runner.run(file);
        synchronized (RESULTS) {
          RESULTS.add(result);
        }
        if (result.outcome() == ConformanceRunner.Outcome.FAILED && supported.contains(result.name())) {
          fail(result.name() + " is declared supported but failed: " + result.detail());
        }
        assumeTrue(result.outcome() != ConformanceRunner.Outcome.NOT_SUPPORTED,
            result.name() + ": not supported: " + result.detail());
      });
    });
  }

  /** The tests listed in {@code conformance/supported.txt}: one name per line, {@code #} starts a comment. */
  static Set<String> supportedTests() {
    try (InputStream in = GatewayApiConformanceTest.class.getResourceAsStream("/conformance/supported.txt")) {
      if (in == null) {
        throw new IllegalStateException("conformance/supported.txt missing from the test resources");
      }
      Set<String> names = new LinkedHashSet<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String name = line.replaceAll("#.*", "").strip();
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
