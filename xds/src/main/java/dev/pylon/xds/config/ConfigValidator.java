package dev.pylon.xds.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** {@code ConfigValidator} backs {@code pylon validate DIR}: every rejection message, in a deterministic order. */
public final class ConfigValidator {

  private ConfigValidator() {}

  /** The rejection messages for {@code dir}, ordered by file, line, then message; empty when the config is valid. */
  public static List<String> validate(Path dir) throws IOException {
    return ConfigLoader.load(dir).rejectionMessages();
  }
}
