package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest(name = "{0} = {1} ms")
  @CsvSource({"10s, 10000", "1.5s, 1500", "250ms, 250", "1m30s, 90000", "1h, 3600000", "0s, 0", ".5s, 500",
      "1000us, 1"})
  void parse_goDurations(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "10", "10 s", "s", "-1s", "1d", "1.5.2s", "10s "})
  void parse_rejectsOtherText(String text) {
    assertThatIllegalArgumentException().isThrownBy(() -> Durations.parse(text));
  }
}
