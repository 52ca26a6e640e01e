package dev.pylon.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --state-dir}: where the control plane keeps the mesh CA it generates, {@code ~/.pylon} unless given. */
class StateDirOptionTest {

  private static Object command(String... args) {
    List<CommandLine> parsed = new CommandLine(new PylonCli()).parseArgs(args).asCommandLineList();
    return parsed.get(parsed.size() - 1).getCommand();
  }

  @Test
  void runControlPlaneAndDemo_defaultToDotPylonInTheHomeDirectory() {
    Path home = Path.of(System.getProperty("user.home"), ".pylon");
    assertThat(((RunCommand) command("run", "--config", "dir")).controlPlane.stateDir).isEqualTo(home);
    assertThat(((ControlPlaneCommand) command("control-plane", "--config", "dir")).controlPlane.stateDir)
        .isEqualTo(home);
    assertThat(((DemoCommand) command("demo")).stateDir).isEqualTo(home);
  }

  @Test
  void theControlPlaneConfig_takesTheDirectory() {
    RunCommand run = (RunCommand) command("run", "--config", "dir", "--state-dir", "/var/lib/pylon");
    assertThat(run.controlPlane.config("127.0.0.1").stateDir()).isEqualTo(Path.of("/var/lib/pylon"));
    assertThat(((DemoCommand) command("demo", "--state-dir", "/tmp/p")).stateDir).isEqualTo(Path.of("/tmp/p"));
  }
}
