"""Sources: what Chorus listens to (feeds, accounts, searches) and fetch_mentions' polls of them (see
docs/listening.md)."""
