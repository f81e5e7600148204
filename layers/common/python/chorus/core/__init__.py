"""The core every feature shares, with no AWS in it: errors, roles, time and the `Clock`, per-platform text rules,
settings, observability and retry on conflict (see docs/architecture.md)."""
