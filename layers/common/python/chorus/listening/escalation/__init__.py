"""Escalation: an open care alert nobody acknowledged moves up to the care lead, then to PR (see
docs/listening.md)."""
