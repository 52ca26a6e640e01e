package dev.pylon.xds.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JavaRegexTest {

  @Test
  void divergence_commonRegexes_haveNone() {
    assertThat(JavaRegex.divergence("spiffe://cluster\\.local/ns/[^/]+/sa/.*")).isNull();
    assertThat(JavaRegex.divergence("(?i)[a-z0-9-]+\\.example\\.com")).isNull();
    assertThat(JavaRegex.divergence("[]a]|[^]b]|\\[x\\]|\\\\1|\\x{41}|\\pL")).isNull();
    // quoted text is literal in both engines
    assertThat(JavaRegex.divergence("\\Q[[:a:]] \\1\\E[a]")).isNull();
  }

  @Test
  void divergence_constructsReadDifferently_areNamed() {
    assertThat(JavaRegex.divergence("a\\v")).isEqualTo(
        "'\\v' is a vertical tab in RE2 but any vertical whitespace in Java");
    assertThat(JavaRegex.divergence("[a&&b]")).isEqualTo(
        "'&&' inside a character class (literal characters in RE2, an intersection in Java)");
    assertThat(JavaRegex.divergence("[a[b]")).startsWith("'[' inside a character class");
    assertThat(JavaRegex.divergence("(?iU:a+)")).startsWith("flag 'U'");
    assertThat(JavaRegex.divergence("(a)\\1")).startsWith("'\\1' is an octal escape");
  }
}
