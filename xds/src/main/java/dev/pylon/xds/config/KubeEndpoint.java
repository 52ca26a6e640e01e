package dev.pylon.xds.config;

/**
 * One endpoint address of an EndpointSlice or Endpoints; {@code podNamespace}/{@code podName} come from a Pod
 * {@code targetRef} and are null without one.
 */
public record KubeEndpoint(String address, boolean ready, String podNamespace, String podName) {}
