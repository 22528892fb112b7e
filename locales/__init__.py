"""Gettext catalogs, keyword aliases and product names per language."""
