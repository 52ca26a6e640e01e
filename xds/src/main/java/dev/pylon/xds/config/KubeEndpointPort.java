package dev.pylon.xds.config;

/** A named port of an EndpointSlice or Endpoints; {@code name} is empty when not set. */
public record KubeEndpointPort(String name, int port) {}
