"""The ambassador programme: people and policy, content from creators, the content pool and shares, engagement,
and privacy (see docs/advocacy.md)."""
