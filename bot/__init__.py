"""clusterbot: a chat and SMS bot for business cluster networks."""
