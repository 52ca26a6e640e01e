package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class XxHash64Test {

  private static final long PRIME32 = 2654435761L;

  /** The sanity buffer of xxHash's {@code cli/xsum_sanity_check.c}: top byte of a PRIME32·PRIME64^i sequence. */
  private static byte[] sanityBuffer(int length) {
    byte[] b = new byte[length];
    long gen = PRIME32;
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (gen >>> 56);
      gen *= 0x9E3779B185EBCA8DL;
    }
    return b;
  }

  static Stream<Arguments> publishedVectors() {
    // (length, seed, XXH64) from the xxHash reference implementation's sanity check
    return Stream.of(
        Arguments.of(0, 0L, 0xEF46DB3751D8E999L),
        Arguments.of(0, PRIME32, 0xAC75FDA2929B17EFL),
        Arguments.of(1, 0L, 0xE934A84ADB052768L),
        Arguments.of(1, PRIME32, 0x5014607643A9B4C3L),
        Arguments.of(4, 0L, 0x9136A0DCA57457EEL),
        Arguments.of(14, 0L, 0x8282DCC4994E35C8L),
        Arguments.of(14, PRIME32, 0xC3BD6BF63DEB6DF0L),
        Arguments.of(222, 0L, 0xB641AE8CB691C174L),
        Arguments.of(222, PRIME32, 0x20CB8AB7AE10C14AL));
  }

  @ParameterizedTest(name = "len {0} seed {1}")
  @MethodSource
  void publishedVectors(int length, long seed, long expected) {
    byte[] buffer = sanityBuffer(222);
    assertThat(XxHash64.hash(buffer, 0, length, seed)).isEqualTo(expected);
  }

  static Stream<Arguments> strings() {
    return Stream.of(
        Arguments.of("", 0xEF46DB3751D8E999L),
        Arguments.of("a", 0xD24EC4F1A98C6E5BL),
        Arguments.of("abc", 0x44BC2CF5AD770999L),
        Arguments.of("Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1L));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @MethodSource
  void strings(String s, long expected) {
    assertThat(XxHash64.hash(s)).isEqualTo(expected);
  }

  @Test
  void offsetAndLength_selectTheBytesHashed() {
    byte[] padded = "xxabcxx".getBytes(StandardCharsets.UTF_8);
    assertThat(XxHash64.hash(padded, 2, 3, 0)).isEqualTo(XxHash64.hash("abc"));
  }

  @Test
  void everyLengthAroundTheStripeBoundaries_isStable() {
    // 31/32/33 and 63/64/65 bytes take different paths; each must differ from its neighbours and be repeatable
    byte[] b = sanityBuffer(70);
    for (int len = 28; len <= 68; len++) {
      assertThat(XxHash64.hash(b, 0, len, 0)).isEqualTo(XxHash64.hash(b.clone(), 0, len, 0))
          .isNotEqualTo(XxHash64.hash(b, 0, len + 1, 0));
    }
  }

  @Test
  void toHex_padsToSixteenLowerCaseDigits() {
    assertThat(XxHash64.toHex(0x1AL)).isEqualTo("000000000000001a");
    assertThat(XxHash64.toHex(0xEF46DB3751D8E999L)).isEqualTo("ef46db3751d8e999");
  }
}
