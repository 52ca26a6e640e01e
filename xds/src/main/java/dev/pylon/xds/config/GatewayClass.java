package dev.pylon.xds.config;

/**
 * A Gateway API {@code GatewayClass}. Optional in files mode: a {@link KubeGateway} is Pylon's when its
 * {@code gatewayClassName} is the class name the control plane is configured with, whether or not a GatewayClass
 * document exists. The document is read (and validated) so that a directory taken from a cluster loads cleanly.
 */
public record GatewayClass(ResourceMeta meta, String controllerName) implements ConfigResource {}
