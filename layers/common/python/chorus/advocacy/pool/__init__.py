"""The content pool: posts offered to publishers with personal share links, offer notifications, and the shares
publishers make (see docs/advocacy.md)."""
