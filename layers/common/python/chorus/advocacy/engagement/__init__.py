"""Engagement: what the ambassador programme counts, the engagement report and leaderboard, and employees' forwarded
mentions (see docs/advocacy.md)."""
