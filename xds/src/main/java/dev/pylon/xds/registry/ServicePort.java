package dev.pylon.xds.registry;

/** A port of a service host; {@code name} and {@code protocol} are empty when not set. */
public record ServicePort(int number, String name, String protocol) {}
