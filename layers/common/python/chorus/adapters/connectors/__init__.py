"""Platform connectors: one small interface (publish, reply, delete, recent posts, verify credentials) per platform.
Platform clients are imported lazily, only when a channel of that platform is used."""
