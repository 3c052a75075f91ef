"""Explore: from a bare workflow to the best settings (docs/explore.md)."""
