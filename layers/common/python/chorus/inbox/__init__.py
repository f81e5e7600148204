"""The inbox: the care team's work on mentions (assignment, status, notes) and replies from the organisation's
account (see docs/inbox.md)."""
