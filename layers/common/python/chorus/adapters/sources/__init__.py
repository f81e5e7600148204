"""Source fetchers of the listening pipeline: one poll of one source → normalised mentions + the next watermark.
Each platform's module is imported only when a source of that kind is fetched (registry.fetcher_for)."""
