package dev.pylon.xds.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.testing.ConfigDir;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The names the control plane resolves: DNS (and NONE) ServiceEntry hosts, never wildcards; destination hosts a
 * wildcard ServiceEntry covers; and, with {@code ALLOW_ANY}, destination hosts the registry does not list.
 */
class DnsNamesTest {

  private static final String CONFIG = """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: external, namespace: egress}
      spec:
        hosts: [api.example.com, "*.wikipedia.org"]
        ports: [{number: 443, name: https, protocol: HTTPS}]
        resolution: NONE
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: web, namespace: shop}
      spec: {ports: [{name: http, port: 80}]}
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: routes, namespace: egress}
      spec:
        hosts: ["*"]
        http:
        - match: [{uri: {prefix: /a}}]
          route: [{destination: {host: en.wikipedia.org, port: {number: 443}}}]
        - match: [{uri: {prefix: /b}}]
          route: [{destination: {host: httpbin.org, port: {number: 80}}}]
          mirror: {host: mirror.example.net, port: {number: 80}}
        - route: [{destination: {host: web.shop.svc.cluster.local}}]
        tls:
        - match: [{sniHosts: [db.example.com]}]
          route: [{destination: {host: db.example.com, port: {number: 5432}}}]
      """;

  @TempDir
  Path dir;

  @Test
  void allowAny_resolvesEveryDestinationOutsideTheRegistry() throws IOException {
    new ConfigDir(dir).write("config.yaml", CONFIG);
    assertThat(DnsResolver.namesToResolve(ConfigLoader.load(dir))).containsExactly(
        "api.example.com", "db.example.com", "en.wikipedia.org", "httpbin.org", "mirror.example.net");
  }

  @Test
  void registryOnly_resolvesOnlyWhatTheRegistryListsOrAWildcardCovers() throws IOException {
    new ConfigDir(dir).write("config.yaml", CONFIG).write("mesh.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data: {mesh: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}"}
        """);
    assertThat(DnsResolver.namesToResolve(ConfigLoader.load(dir)))
        .containsExactly("api.example.com", "en.wikipedia.org");
  }
}
