package dev.pylon.gateway.cli;

import dev.pylon.xds.config.ConfigValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Checks a config directory the way the control plane loads it and prints one line per rejected resource: "
          + "<kind> <namespace>/<name> (<file>): <field>: <reason>. Exits 1 when anything is rejected."
    })
final class ValidateCommand implements Callable<Integer> {

  @Parameters(paramLabel = "DIR", description = "Directory of YAML files.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(dir)) {
      System.err.println("pylon validate: " + dir + ": not a directory");
      return 2;
    }
    List<String> problems = ConfigValidator.validate(dir);
    for (String p : problems) {
      System.out.println(p);
    }
    if (problems.isEmpty()) {
      System.out.println(dir + ": valid");
      return 0;
    }
    System.err.println(problems.size() + " problem(s) in " + dir);
    return 1;
  }
}
