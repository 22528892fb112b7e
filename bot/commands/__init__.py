"""Sub-commands of `clusterbot`, one module per capability."""
