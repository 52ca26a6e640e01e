package dev.pylon.tls;

/** TLS protocol versions, as Envoy's {@code TlsParameters.TlsProtocol} and Istio's {@code TLSProtocol} name them. */
public enum TlsVersion {
  /** The implementation's choice (Envoy: 1.2 minimum, 1.3 maximum for servers). */
  AUTO(null),
  TLS_1_0("TLSv1"),
  TLS_1_1("TLSv1.1"),
  TLS_1_2("TLSv1.2"),
  TLS_1_3("TLSv1.3");

  private final String jdkName;

  TlsVersion(String jdkName) {
    this.jdkName = jdkName;
  }

  /** The JSSE protocol name ({@code TLSv1.2}); {@code null} for {@link #AUTO}. */
  public String jdkName() {
    return jdkName;
  }
}
