"""Digests: twice a day (by default) each team's email subscribers get one summary instead of a stream of pings
(see docs/listening.md)."""
