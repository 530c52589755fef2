"""Network architectures and the GateGraph that describes their gating."""
