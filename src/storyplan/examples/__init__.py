"""Bundled example stories."""
