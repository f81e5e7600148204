"""How our own published posts do: per channel, replies, reposts, likes and (where the platform gives them) quotes,
impressions and link clicks, read on a schedule by collect_post_metrics and shown on the post."""
