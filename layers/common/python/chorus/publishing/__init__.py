"""Publishing: every scheduled post delivered to each of its channels at its planned second, exactly once
(see docs/publishing.md)."""
