package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostNamesTest {

  @ParameterizedTest(name = "{0} in {1} = {2}")
  @CsvSource({
      "reviews,                  default, reviews.default.svc.cluster.local",
      "reviews.prod,             default, reviews.prod",
      "reviews.prod.svc.cluster.local, default, reviews.prod.svc.cluster.local",
      "*,                        default, *",
      "*.example.com,            default, *.example.com",
  })
  void qualify_resolvesShortNamesInTheResourcesNamespace(String host, String namespace, String expected) {
    assertThat(HostNames.qualify(host, namespace)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} covers {1}: {2}")
  @CsvSource({
      "*.example.com,   a.example.com,   true",
      "*.example.com,   b.a.example.com, true",
      "*.example.com,   *.a.example.com, true",
      "*.example.com,   example.com,     false",
      "*,               example.com,     true",
      "a.example.com,   a.example.com,   true",
      "a.example.com,   *.example.com,   false",
  })
  void covers_followsIstioWildcards(String pattern, String host, boolean expected) {
    assertThat(HostNames.covers(pattern, host)).isEqualTo(expected);
  }

  @Test
  void exported_followsIstioExportTo() {
    assertThat(HostNames.exported(List.of(), "a", "b")).isTrue();
    assertThat(HostNames.exported(List.of("*"), "a", "b")).isTrue();
    assertThat(HostNames.exported(List.of("."), "a", "a")).isTrue();
    assertThat(HostNames.exported(List.of("."), "a", "b")).isFalse();
    assertThat(HostNames.exported(List.of(".", "b"), "a", "b")).isTrue();
    assertThat(HostNames.exported(List.of("~"), "a", "a")).isFalse();
  }
}
