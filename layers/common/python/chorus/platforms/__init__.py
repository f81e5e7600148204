"""Platforms: one module per social network, holding what publishing writes with (connectors), what listening reads
mentions with (fetchers) and what advocacy reads publishers' posts with (readers) (see docs/platforms.md)."""
