package dev.pylon.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency direction of DESIGN.md §2, checked on the compiled classes of every module (the gateway's test
 * classpath holds them all): the pure modules stay free of Vert.x, Netty, gRPC and protobuf, and no module reaches
 * up to a higher one. A violation fails the build with the offending class and import.
 */
class ModuleBoundariesTest {

  static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.pylon");
  }

  private static final String[] IO_STACK = {"io.vertx..", "io.netty..", "io.grpc..", "com.google.protobuf..",
      "io.envoyproxy.."};

  @Test
  void routing_isPure() {
    noClasses().that().resideInAPackage("dev.pylon.routing..")
        .should().dependOnClassesThat().resideInAnyPackage(IO_STACK)
        .orShould().dependOnClassesThat().resideInAnyPackage(
            "dev.pylon.tls..", "dev.pylon.ratelimit..", "dev.pylon.xds..", "dev.pylon.gateway..")
        .allowEmptyShould(false)
        .check(classes);
  }

  @Test
  void tls_isPure() {
    noClasses().that().resideInAPackage("dev.pylon.tls..")
        .should().dependOnClassesThat().resideInAnyPackage(IO_STACK)
        .orShould().dependOnClassesThat().resideInAnyPackage(
            "dev.pylon.routing..", "dev.pylon.ratelimit..", "dev.pylon.xds..", "dev.pylon.gateway..")
        .allowEmptyShould(true)
        .check(classes);
  }

  @Test
  void rateLimitCore_isPure_andBelowXds() {
    // The RLS and Redis adapters may use gRPC and Vert.x, in their own packages only.
    noClasses().that().resideInAPackage("dev.pylon.ratelimit..")
        .and().resideOutsideOfPackages("dev.pylon.ratelimit.rls..", "dev.pylon.ratelimit.redis..")
        .should().dependOnClassesThat().resideInAnyPackage(IO_STACK)
        .orShould().dependOnClassesThat().resideInAnyPackage("dev.pylon.xds..", "dev.pylon.gateway..")
        .allowEmptyShould(true)
        .check(classes);
  }

  @Test
  void xds_neverReachesIntoTheGateway_norVertx() {
    noClasses().that().resideInAPackage("dev.pylon.xds..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.pylon.gateway..", "io.vertx..")
        .allowEmptyShould(false)
        .check(classes);
  }

  @Test
  void protos_stopAtTheXdsModule() {
    // "no protos past xds": the data plane works on routing types only
    noClasses().that().resideInAPackage("dev.pylon.gateway..")
        .should().dependOnClassesThat().resideInAnyPackage("io.envoyproxy..", "com.google.protobuf..")
        .allowEmptyShould(false)
        .check(classes);
  }
}
