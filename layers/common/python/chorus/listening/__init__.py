"""Listening: mentions of the organisation in, classified and routed, and the right team told once (see
docs/listening.md)."""
