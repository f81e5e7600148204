"""The content calendar: posts and their approval workflow, channels, the crisis hold, and the cadence and
credentials checks (see docs/calendar.md)."""
