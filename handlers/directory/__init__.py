"""The cluster directory: listing consent, FIND and introductions from it."""
