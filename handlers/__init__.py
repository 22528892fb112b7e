"""Conversations, one module per capability; channel-agnostic."""
