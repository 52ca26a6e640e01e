package dev.pylon.gateway.cli;

import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code pylon}: one jar, several run modes (DESIGN.md §3). */
@Command(
    name = "pylon",
    mixinStandardHelpOptions = true,
    versionProvider = PylonCli.Version.class,
    description = {
      "An edge gateway for Kubernetes service meshes: Istio Gateway/VirtualService/DestinationRule/ServiceEntry "
          + "semantics, configured over xDS by its own control plane.",
      ""
    },
    subcommands = {
      RunCommand.class,
      ControlPlaneCommand.class,
      ProxyCommand.class,
      DemoCommand.class,
      ValidateCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Ports (Istio's): traffic as the Gateway servers say (8080 in the demo); 15000 admin (loopback);",
      "15021 /healthz/ready; 15090 /stats/prometheus; 15010 xDS (plaintext gRPC ADS).",
      "Run `pylon COMMAND --help` for a command's options."
    })
public final class PylonCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    int code = new CommandLine(new PylonCli()).execute(args);
    if (code >= 0) {
      System.exit(code);
    }
    // A long-running command returned -1: its servers run on their own threads, some of them daemons (gRPC's),
    // so the main thread stays until the JVM shuts down (SIGTERM/SIGINT run the drain in a shutdown hook).
    CountDownLatch forever = new CountDownLatch(1);
    try {
      forever.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = PylonCli.class.getPackage().getImplementationVersion();
      return new String[] {"pylon " + (v == null ? "(development build)" : v)};
    }
  }
}
