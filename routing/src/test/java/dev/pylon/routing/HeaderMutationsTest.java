package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.HeaderMutations.AppendAction;
import dev.pylon.routing.HeaderMutations.HeaderValueOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HeaderMutationsTest {

  private static HeaderMutations add(String name, String value, AppendAction action) {
    return new HeaderMutations(List.of(new HeaderValueOption(name, value, action)), List.of());
  }

  static Stream<Arguments> actions() {
    return Stream.of(
        // action, header present before?, expected values
        Arguments.of(AppendAction.APPEND_IF_EXISTS_OR_ADD, true, List.of("old", "new")),
        Arguments.of(AppendAction.APPEND_IF_EXISTS_OR_ADD, false, List.of("new")),
        Arguments.of(AppendAction.ADD_IF_ABSENT, true, List.of("old")),
        Arguments.of(AppendAction.ADD_IF_ABSENT, false, List.of("new")),
        Arguments.of(AppendAction.OVERWRITE_IF_EXISTS_OR_ADD, true, List.of("new")),
        Arguments.of(AppendAction.OVERWRITE_IF_EXISTS_OR_ADD, false, List.of("new")),
        Arguments.of(AppendAction.OVERWRITE_IF_EXISTS, true, List.of("new")),
        Arguments.of(AppendAction.OVERWRITE_IF_EXISTS, false, null));
  }

  @ParameterizedTest(name = "{0}, present={1} -> {2}")
  @MethodSource
  void actions(AppendAction action, boolean present, List<String> expected) {
    MapHeaders h = present ? MapHeaders.of("x-a", "old") : MapHeaders.of();
    add("x-a", "new", action).applyTo(h);
    assertThat(h.values.get("x-a")).isEqualTo(expected);
  }

  @Test
  void removalsComeFirst_soARemovedHeaderCountsAsAbsent() {
    MapHeaders h = MapHeaders.of("x-a", "old", "x-keep", "1");
    new HeaderMutations(
        List.of(new HeaderValueOption("x-a", "new", AppendAction.ADD_IF_ABSENT),
            new HeaderValueOption("x-b", "set", AppendAction.OVERWRITE_IF_EXISTS)),
        List.of("x-a", "x-b")).applyTo(h);
    assertThat(h.values).containsExactly(Map.entry("x-keep", List.of("1")), Map.entry("x-a", List.of("new")));
  }

  @Test
  void conditionsSeeTheHeadersBeforeThisListAdds() {
    // Envoy judges ADD_IF_ABSENT against the headers as received: an earlier append in the same list does not count
    MapHeaders h = MapHeaders.of();
    new HeaderMutations(
        List.of(new HeaderValueOption("x-a", "1", AppendAction.APPEND_IF_EXISTS_OR_ADD),
            new HeaderValueOption("x-a", "2", AppendAction.ADD_IF_ABSENT)),
        List.of()).applyTo(h);
    assertThat(h.values.get("x-a")).containsExactly("1", "2");
  }

  @Test
  void overwritesApplyBeforeAppends_lastOverwriteWins() {
    MapHeaders h = MapHeaders.of("x-a", "old");
    new HeaderMutations(
        List.of(new HeaderValueOption("x-a", "appended", AppendAction.APPEND_IF_EXISTS_OR_ADD),
            new HeaderValueOption("x-a", "set1", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
            new HeaderValueOption("x-a", "set2", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD)),
        List.of()).applyTo(h);
    assertThat(h.values.get("x-a")).containsExactly("set2", "appended");
  }

  @Test
  void emptyValues_areSkipped_asEnvoyDoesWithoutKeepEmptyValue() {
    MapHeaders h = MapHeaders.of("x-a", "old");
    add("x-a", "", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD).applyTo(h);
    assertThat(h.values.get("x-a")).containsExactly("old");
  }

  @Test
  void none_changesNothing() {
    MapHeaders h = MapHeaders.of("x-a", "1");
    HeaderMutations.NONE.applyTo(h);
    assertThat(h.values).containsExactly(Map.entry("x-a", List.of("1")));
  }
}
