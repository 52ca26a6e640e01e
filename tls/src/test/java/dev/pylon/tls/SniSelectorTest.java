package dev.pylon.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SniSelectorTest {

  private final SniSelector<String> selector = SniSelector.<String>builder()
      .add(List.of("www.example.com", "Api.Example.com"), "exact")
      .add(List.of("*.example.com"), "wildcard")
      .add(List.of("*.b.example.com"), "longer wildcard")
      .add(List.of("*.com"), "tld wildcard")
      .add(List.of(), "default")
      .build();

  @Test
  void exactBeforeWildcard_longestWildcardFirst_thenDefault() {
    assertThat(selector.select("www.example.com")).isEqualTo("exact");
    assertThat(selector.select("api.example.com")).isEqualTo("exact");
    assertThat(selector.select("x.example.com")).isEqualTo("wildcard");
    assertThat(selector.select("x.b.example.com")).isEqualTo("longer wildcard");
    assertThat(selector.select("other.org")).isEqualTo("default");
  }

  @Test
  void aWildcardStandsForOneOrMoreLabels_butNotForNone() {
    // Envoy stores "*.example.com" as ".example.com" and tries every suffix starting at a dot after the first char
    assertThat(selector.select("a.b.c.example.com")).isEqualTo("wildcard");
    assertThat(selector.select("y.x.b.example.com")).isEqualTo("longer wildcard");
    assertThat(selector.select("example.com")).isEqualTo("tld wildcard");
    assertThat(selector.select("b.example.com")).isEqualTo("wildcard");
    assertThat(selector.select("com")).isEqualTo("default");
    assertThat(selector.select("a.example.com.")).isEqualTo("default"); // a trailing dot is no match for ".com"
  }

  @Test
  void caseInsensitive_andNoSniSelectsTheDefault() {
    assertThat(selector.select("WWW.EXAMPLE.COM")).isEqualTo("exact");
    assertThat(selector.select("X.Example.Com")).isEqualTo("wildcard");
    assertThat(selector.select(null)).isEqualTo("default");
    assertThat(selector.select("")).isEqualTo("default");
    assertThat(selector.defaultValue()).isEqualTo("default");
  }

  @Test
  void withoutDefault_nothingApplies_isNull() {
    SniSelector<Integer> s = SniSelector.of(List.of(new SniSelector.Entry<>(List.of("a.example.com"), 1)));
    assertThat(s.select("a.example.com")).isEqualTo(1);
    assertThat(s.select("b.example.com")).isNull();
    assertThat(s.select(null)).isNull();
    assertThat(SniSelector.<Integer>of(List.of()).select("a")).isNull();
  }

  @Test
  void duplicateNamesAcrossEntries_areRefused_namingTheName() {
    assertThatThrownBy(() -> SniSelector.<String>builder()
        .add(List.of("a.example.com"), "one")
        .add(List.of("b.example.com", "A.example.com"), "two")
        .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server name 'A.example.com' is listed by entries #0 and #1: a server name can select one entry "
            + "only");
    assertThatThrownBy(() -> SniSelector.<String>builder()
        .add(List.of("*.example.com"), "one").add(List.of("*.EXAMPLE.com"), "two").build())
        .hasMessageContaining("'*.EXAMPLE.com'");
    // the same name twice in one entry is harmless
    assertThat(SniSelector.<String>builder().add(List.of("a.com", "A.com"), "one").build().select("a.com"))
        .isEqualTo("one");
  }

  @Test
  void twoDefaults_partialWildcards_andEmptyNames_areRefused() {
    assertThatThrownBy(() -> SniSelector.<String>builder().add(List.of(), "one").add(List.of(), "two").build())
        .hasMessage("entries #0 and #1 both have no server names: only one default is possible");
    for (String bad : new String[] {"w*.example.com", "*", "*.", "a.*.com", "*.*.com", "*example.com"}) {
      assertThatThrownBy(() -> SniSelector.<String>builder().add(List.of(bad), "x").build())
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "': partial wildcards are not supported");
    }
    assertThatThrownBy(() -> SniSelector.<String>builder().add(List.of(""), "x").build())
        .hasMessageContaining("server name: empty");
  }
}
