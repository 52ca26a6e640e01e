package dev.pylon.gateway.cli;

public final class PylonCli {
  public static void main(String[] args) {
  }
}
