"""Pure functions that build the manifests the operator creates; no cluster access."""
