package dev.pylon.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --gateway-class}: the Gateway API class the control plane serves, {@code pylon} unless given. */
class GatewayClassOptionTest {

  private static Object command(String... args) {
    List<CommandLine> parsed = new CommandLine(new PylonCli()).parseArgs(args).asCommandLineList();
    return parsed.get(parsed.size() - 1).getCommand();
  }

  @Test
  void runAndControlPlane_defaultToPylon() {
    assertThat(((RunCommand) command("run", "--config", "dir")).controlPlane.gatewayClass).isEqualTo("pylon");
    assertThat(((ControlPlaneCommand) command("control-plane", "--config", "dir")).controlPlane.gatewayClass).isEqualTo("pylon");
  }

  @Test
  void runAndControlPlane_takeTheClass() {
    assertThat(((RunCommand) command("run", "--config", "dir", "--gateway-class", "acme")).controlPlane.gatewayClass)
        .isEqualTo("acme");
    assertThat(((ControlPlaneCommand) command("control-plane", "--config", "dir", "--gateway-class", "acme"))
        .controlPlane.gatewayClass).isEqualTo("acme");
  }
}
