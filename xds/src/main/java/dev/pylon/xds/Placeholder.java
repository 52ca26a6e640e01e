package dev.pylon.xds; public final class Placeholder {}
