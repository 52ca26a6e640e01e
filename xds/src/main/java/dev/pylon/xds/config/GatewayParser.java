package dev.pylon.xds.config;

import com.google.common.net.InetAddresses;
import dev.pylon.tls.TlsVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a {@code networking.istio.io} {@code Gateway}: servers, their hosts and their {@code tls}, with istiod's
 * validation rules, plus the rules Pylon needs on one port: a port is either plaintext HTTP or TLS, and its TLS servers
 * either all terminate or all pass through (mixing the two is not supported yet).
 */
final class GatewayParser {

  private static final List<String> MODES =
      List.of("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL");

  private GatewayParser() {}

  static IstioGateway parse(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(FieldSupport.GATEWAY);
    Map<String, String> selector = spec.get("selector").stringMap();
    List<IstioGateway.Server> servers = new ArrayList<>();
    // port:bind -> index of the first server there, and of the first terminating server per port name
    Map<String, Integer> firstOnPort = new HashMap<>();
    Map<String, Integer> terminatingPortNames = new HashMap<>();
    List<Field> serverFields = spec.get("servers").requiredList();
    for (int i = 0; i < serverFields.size(); i++) {
      Field server = serverFields.get(i);
      IstioGateway.Server parsed = server(server);
      String portKey = parsed.port() + "|" + (parsed.bind() == null ? "" : parsed.bind());
      Integer first = firstOnPort.putIfAbsent(portKey, i);
      if (first != null) {
        checkSharedPort(servers.get(first), first, parsed, server);
      }
      if (parsed.kind() == IstioGateway.Kind.TERMINATE) {
        Integer earlier = terminatingPortNames.putIfAbsent(portKey + "|" + parsed.portName(), i);
        if (earlier != null) {
          throw server.get("port").get("name").error("duplicate port name \"" + parsed.portName() + "\" on port "
              + parsed.port() + " (spec.servers[" + earlier + "]): the name identifies the server's route "
              + "configuration");
        }
      }
      servers.add(parsed);
    }
    return new IstioGateway(meta, selector, servers);
  }

  private static void checkSharedPort(IstioGateway.Server first, int firstIndex, IstioGateway.Server server,
      Field field) {
    IstioGateway.Kind a = first.kind();
    IstioGateway.Kind b = server.kind();
    if (a == b) {
      return;
    }
    Field protocol = field.get("port").get("protocol");
    if (a == IstioGateway.Kind.PLAINTEXT || b == IstioGateway.Kind.PLAINTEXT) {
      throw protocol.error(server.protocol() + " on port " + server.port() + ", where spec.servers[" + firstIndex
          + "] is " + first.protocol() + ": a port serves either plaintext HTTP or TLS");
    }
    throw field.get("tls").get("mode").error("TLS termination and passthrough on one port (" + server.port()
        + ", spec.servers[" + firstIndex + "]) not supported yet");
  }

  private static IstioGateway.Server server(Field server) {
    server.checkKeys(FieldSupport.SERVER);
    Field port = server.get("port").required().checkKeys(FieldSupport.SERVER_PORT);
    int number = port.get("number").requiredPort();
    port.get("targetPort").optionalPort();
    String portName = port.get("name").string("");
    Field protocolField = port.get("protocol");
    String protocol = protocolField.requiredString().toUpperCase(Locale.ROOT);
    if (!FieldSupport.SERVER_PROTOCOLS.contains(protocol)) {
      if (FieldSupport.SERVER_PROTOCOLS_NOT_SUPPORTED_YET.contains(protocol)) {
        throw protocolField.error(protocol + " not supported yet ("
            + String.join(", ", FieldSupport.SERVER_PROTOCOLS) + " are)");
      }
      throw protocolField.error("unknown protocol \"" + protocolField.string() + "\"");
    }
    Field bindField = server.get("bind");
    String bind = bindField.string();
    if (bind != null && !InetAddresses.isInetAddress(bind)) {
      throw bindField.error("\"" + bind + "\" is not an IP address");
    }
    List<IstioGateway.ServerHost> hosts = new ArrayList<>();
    for (Field hostField : server.get("hosts").requiredList()) {
      hosts.add(serverHost(hostField));
    }
    Field tlsField = server.get("tls");
    boolean tlsProtocol = protocol.equals("HTTPS") || protocol.equals("TLS");
    IstioGateway.ServerTls tls = null;
    if (tlsProtocol) {
      tls = serverTls(tlsField.required(), protocol);
    } else if (tlsField.present()) {
      tlsField.checkKeys(FieldSupport.SERVER_TLS);
      for (String key : tlsField.keys()) {
        if (!key.equals("httpsRedirect")) {
          throw tlsField.get(key).error("not allowed on a " + protocol
              + " server (only httpsRedirect is; TLS settings need protocol HTTPS or TLS)");
        }
      }
      tls = new IstioGateway.ServerTls(IstioGateway.TlsMode.PASSTHROUGH, tlsField.get("httpsRedirect").bool(false),
          null, null, null, null, List.of(), TlsVersion.AUTO, TlsVersion.AUTO, List.of());
    }
    return new IstioGateway.Server(number, portName, protocol, bind, hosts, server.get("name").string(""), tls);
  }

  private static IstioGateway.ServerTls serverTls(Field field, String protocol) {
    field.checkKeys(FieldSupport.SERVER_TLS);
    Field modeField = field.get("mode");
    String modeText = modeField.oneOf("PASSTHROUGH", MODES);
    if (modeText.equals("AUTO_PASSTHROUGH")) {
      throw modeField.error("AUTO_PASSTHROUGH not supported yet (it routes mesh mTLS by cluster SNI, for "
          + "multi-network meshes)");
    }
    IstioGateway.TlsMode mode = IstioGateway.TlsMode.valueOf(modeText);
    if (protocol.equals("TLS") && mode != IstioGateway.TlsMode.PASSTHROUGH) {
      throw modeField.error(modeText + " on a TLS server not supported yet (terminated TLS goes to VirtualService "
          + "tcp routes, not supported yet): use protocol HTTPS, or mode PASSTHROUGH");
    }
    boolean httpsRedirect = field.get("httpsRedirect").bool(false);
    Field credentialField = field.get("credentialName");
    Field certField = field.get("serverCertificate");
    Field keyField = field.get("privateKey");
    Field caField = field.get("caCertificates");
    String credentialName = TlsFields.credentialName(credentialField);
    String serverCertificate = TlsFields.path(certField);
    String privateKey = TlsFields.path(keyField);
    String caCertificates = TlsFields.path(caField);
    Field sansField = field.get("subjectAltNames");
    List<String> sans = TlsFields.subjectAltNames(sansField);
    TlsVersion min = TlsFields.version(field.get("minProtocolVersion"));
    Field maxField = field.get("maxProtocolVersion");
    TlsVersion max = TlsFields.version(maxField);
    TlsFields.checkOrder(min, max, maxField);
    List<String> ciphers = TlsFields.cipherSuites(field.get("cipherSuites"));
    switch (mode) {
      case PASSTHROUGH -> {
        // istiod ignores certificates here (with a warning): the gateway never sees the TLS session
      }
      case ISTIO_MUTUAL -> {
        for (Field f : List.of(credentialField, certField, keyField, caField)) {
          if (f.present()) {
            throw TlsFields.notAllowed(f, "with ISTIO_MUTUAL (the server presents the mesh certificate and checks "
                + "clients against the mesh root)");
          }
        }
      }
      default -> {
        if (credentialName != null) {
          for (Field f : List.of(certField, keyField)) {
            if (f.present()) {
              throw f.error("only one of credentialName, serverCertificate/privateKey may be set");
            }
          }
          if (caField.present()) {
            throw TlsFields.notAllowed(caField, "with credentialName (the client CA is the Secret's ca.crt, or the "
                + "Secret " + credentialName + "-cacert)");
          }
        } else {
          if (serverCertificate == null && privateKey == null) {
            throw field.error(modeText + " requires credentialName, or serverCertificate and privateKey");
          }
          if (serverCertificate == null) {
            throw certField.error("required with privateKey");
          }
          if (privateKey == null) {
            throw keyField.error("required with serverCertificate");
          }
          if (mode != IstioGateway.TlsMode.SIMPLE && caCertificates == null) {
            throw caField.error("required for " + modeText + " without credentialName (the CA client certificates "
                + "must chain to)");
          }
        }
        if (mode == IstioGateway.TlsMode.SIMPLE) {
          if (!sans.isEmpty()) {
            throw sansField.error("client certificates are only checked with MUTUAL, OPTIONAL_MUTUAL and "
                + "ISTIO_MUTUAL (SIMPLE does not ask for one)");
          }
          if (caField.present()) {
            throw caField.error("client certificates are only checked with MUTUAL and OPTIONAL_MUTUAL (SIMPLE does "
                + "not ask for one)");
          }
        }
      }
    }
    return new IstioGateway.ServerTls(mode, httpsRedirect, credentialName, serverCertificate, privateKey,
        caCertificates, sans, min, max, ciphers);
  }

  private static IstioGateway.ServerHost serverHost(Field field) {
    String text = field.requiredString();
    int slash = text.indexOf('/');
    String namespace = slash < 0 ? "*" : text.substring(0, slash);
    String host = slash < 0 ? text : text.substring(slash + 1);
    if (namespace.isEmpty() || host.isEmpty() || host.indexOf('/') >= 0) {
      throw field.error("invalid host \"" + text + "\" (expected [namespace/]host)");
    }
    return new IstioGateway.ServerHost(namespace, host.toLowerCase(Locale.ROOT));
  }
}
