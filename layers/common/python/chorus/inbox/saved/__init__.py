"""Saved replies: the team's reply templates per team and language, with placeholders filled in from the mention
(see docs/inbox.md#saved-replies)."""
