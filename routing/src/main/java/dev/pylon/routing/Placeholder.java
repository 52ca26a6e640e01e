package dev.pylon.routing; public final class Placeholder {}
