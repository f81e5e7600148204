"""Spike detection: far more negative mentions about one facet in one language than usual for the hour, told to PR
once per cooldown (see docs/listening.md)."""
